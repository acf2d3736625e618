#include "dns/name.h"

#include <array>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include "dns/error.h"

namespace dns {

namespace {

// Offsets of each label's length byte in a valid wire name, leftmost first; returns the count.
size_t label_offsets(const std::string& wire, std::array<uint8_t, 128>& offsets) {
  size_t n = 0, pos = 0;
  while (static_cast<uint8_t>(wire[pos]) != 0) {
    offsets[n++] = static_cast<uint8_t>(pos);
    pos += 1 + static_cast<uint8_t>(wire[pos]);
  }
  return n;
}

bool equal_nocase(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (ascii_lower(static_cast<uint8_t>(a[i])) != ascii_lower(static_cast<uint8_t>(b[i])))
      return false;
  }
  return true;
}

// Characters that must be escaped in presentation form to read back as the same label.
bool needs_backslash(uint8_t c) {
  switch (c) {
    case '.':
    case '\\':
    case '"':
    case '(':
    case ')':
    case ';':
    case '@':
    case '$':
      return true;
    default:
      return false;
  }
}

std::string quoted_for_error(std::string_view text) {
  if (text.size() > 80) return fmt::format("'{}...'", text.substr(0, 80));
  return fmt::format("'{}'", text);
}

}  // namespace

Name::Name() : wire_(1, '\0') {}

Name Name::from_validated_wire(std::string wire) {
  assert(!wire.empty() && wire.size() <= kMaxWireLength);
  return Name(std::move(wire));
}

Name Name::from_text(std::string_view text, const Name& origin) {
  if (text.empty()) throw Error("expected a domain name, got an empty string");
  if (text == "@") return origin;
  if (text == ".") return Name();

  std::string wire;
  wire.reserve(text.size() + 2 + origin.wire_.size());
  size_t label_start = 0;  // offset of the current label's length byte in `wire`
  wire.push_back('\0');
  bool absolute = false;

  auto close_label = [&](size_t i) {
    size_t len = wire.size() - label_start - 1;
    if (len == 0) {
      throw Error(
          fmt::format("empty label at offset {} in domain name {}", i, quoted_for_error(text)));
    }
    if (len > kMaxLabelLength) {
      throw Error(fmt::format("label of {} octets in domain name {} (at most {} allowed)", len,
                              quoted_for_error(text), kMaxLabelLength));
    }
    wire[label_start] = static_cast<char>(len);
  };

  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      close_label(i);
      if (i + 1 == text.size()) {
        absolute = true;
        break;
      }
      label_start = wire.size();
      wire.push_back('\0');
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        throw Error(
            fmt::format("expected a character or \\DDD after '\\' at the end of domain "
                        "name {}",
                        quoted_for_error(text)));
      }
      char next = text[i + 1];
      if (next >= '0' && next <= '9') {
        if (i + 3 >= text.size() || !(text[i + 2] >= '0' && text[i + 2] <= '9') ||
            !(text[i + 3] >= '0' && text[i + 3] <= '9')) {
          throw Error(
              fmt::format("expected three decimal digits after '\\' at offset {} in "
                          "domain name {}",
                          i, quoted_for_error(text)));
        }
        int value = (next - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (value > 255) {
          throw Error(fmt::format("escape \\{} at offset {} in domain name {} is above 255",
                                  text.substr(i + 1, 3), i, quoted_for_error(text)));
        }
        wire.push_back(static_cast<char>(value));
        i += 3;
      } else {
        wire.push_back(next);
        i += 1;
      }
    } else {
      wire.push_back(c);
    }
    if (wire.size() - label_start - 1 > kMaxLabelLength) {
      throw Error(fmt::format("label longer than {} octets in domain name {}", kMaxLabelLength,
                              quoted_for_error(text)));
    }
  }
  if (!absolute) {
    close_label(text.size());
    wire += origin.wire_;
  } else {
    wire.push_back('\0');
  }
  if (wire.size() > kMaxWireLength) {
    throw Error(fmt::format("domain name {}{} is {} octets in wire form (at most {} allowed)",
                            quoted_for_error(text), absolute ? "" : " + origin " + origin.to_text(),
                            wire.size(), kMaxWireLength));
  }
  return Name(std::move(wire));
}

Name Name::from_wire(std::span<const uint8_t> data) {
  size_t pos = 0;
  while (true) {
    if (pos >= data.size()) throw FormatError("domain name runs past the end of its data");
    uint8_t len = data[pos];
    if (len == 0) break;
    if (len > kMaxLabelLength) {
      throw FormatError(
          fmt::format("label length byte 0x{:02x} in an uncompressed name (labels "
                      "are at most 63 octets)",
                      len));
    }
    pos += 1 + len;
    if (pos + 1 > kMaxWireLength) {
      throw FormatError(fmt::format("domain name longer than {} octets", kMaxWireLength));
    }
  }
  if (pos + 1 != data.size()) {
    throw FormatError(fmt::format("{} trailing octets after a domain name", data.size() - pos - 1));
  }
  return Name(std::string(reinterpret_cast<const char*>(data.data()), data.size()));
}

std::string Name::to_text() const {
  if (is_root()) return ".";
  std::string out;
  out.reserve(wire_.size() + 8);
  size_t pos = 0;
  while (uint8_t len = static_cast<uint8_t>(wire_[pos])) {
    for (size_t i = pos + 1; i <= pos + len; ++i) {
      uint8_t c = static_cast<uint8_t>(wire_[i]);
      if (c <= 0x20 || c >= 0x7f) {
        out += fmt::format("\\{:03d}", c);
      } else {
        if (needs_backslash(c)) out.push_back('\\');
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('.');
    pos += 1 + len;
  }
  return out;
}

size_t Name::label_count() const {
  size_t n = 0, pos = 0;
  while (uint8_t len = static_cast<uint8_t>(wire_[pos])) {
    ++n;
    pos += 1 + len;
  }
  return n;
}

std::string_view Name::label(size_t i) const {
  size_t pos = 0;
  while (uint8_t len = static_cast<uint8_t>(wire_[pos])) {
    if (i == 0) return std::string_view(wire_).substr(pos + 1, len);
    --i;
    pos += 1 + len;
  }
  throw std::out_of_range(fmt::format("label index out of range for name {}", to_text()));
}

bool Name::is_wildcard() const {
  return wire_.size() >= 2 && wire_[0] == 1 && wire_[1] == '*';
}

Name Name::parent() const {
  if (is_root()) return *this;
  return Name(wire_.substr(1 + static_cast<uint8_t>(wire_[0])));
}

Name Name::suffix(size_t labels) const {
  size_t total = label_count();
  if (labels >= total) return *this;
  size_t pos = 0;
  for (size_t skip = total - labels; skip > 0; --skip) pos += 1 + static_cast<uint8_t>(wire_[pos]);
  return Name(wire_.substr(pos));
}

Name Name::prepend(std::string_view label) const {
  if (label.empty()) throw Error("cannot prepend an empty label");
  if (label.size() > kMaxLabelLength) {
    throw Error(
        fmt::format("label of {} octets (at most {} allowed)", label.size(), kMaxLabelLength));
  }
  if (wire_.size() + 1 + label.size() > kMaxWireLength) {
    throw Error(fmt::format("prepending a {}-octet label to {} exceeds {} octets", label.size(),
                            to_text(), kMaxWireLength));
  }
  std::string wire;
  wire.reserve(wire_.size() + 1 + label.size());
  wire.push_back(static_cast<char>(label.size()));
  wire.append(label);
  wire += wire_;
  return Name(std::move(wire));
}

bool Name::is_subdomain_of(const Name& ancestor) const {
  if (ancestor.wire_.size() > wire_.size()) return false;
  size_t offset = wire_.size() - ancestor.wire_.size();
  size_t pos = 0;
  while (pos < offset) pos += 1 + static_cast<uint8_t>(wire_[pos]);
  if (pos != offset) return false;
  return equal_nocase(wire_.data() + offset, ancestor.wire_.data(), ancestor.wire_.size());
}

bool Name::operator==(const Name& other) const {
  return wire_.size() == other.wire_.size() &&
         equal_nocase(wire_.data(), other.wire_.data(), wire_.size());
}

std::strong_ordering Name::operator<=>(const Name& other) const {
  std::array<uint8_t, 128> mine, theirs;
  size_t n = label_offsets(wire_, mine);
  size_t m = label_offsets(other.wire_, theirs);
  // Compare label by label from the rightmost; each label as a lowercased octet string.
  while (n > 0 && m > 0) {
    --n;
    --m;
    const char* a = wire_.data() + mine[n];
    const char* b = other.wire_.data() + theirs[m];
    size_t la = static_cast<uint8_t>(a[0]), lb = static_cast<uint8_t>(b[0]);
    size_t common = std::min(la, lb);
    for (size_t i = 1; i <= common; ++i) {
      uint8_t ca = ascii_lower(static_cast<uint8_t>(a[i]));
      uint8_t cb = ascii_lower(static_cast<uint8_t>(b[i]));
      if (ca != cb) return ca <=> cb;
    }
    if (la != lb) return la <=> lb;
  }
  return n <=> m;
}

size_t Name::hash() const {
  // FNV-1a over the lowercased wire form.
  uint64_t h = 1469598103934665603ull;
  for (char c : wire_) {
    h ^= ascii_lower(static_cast<uint8_t>(c));
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

Name Name::lowercased() const {
  std::string wire = wire_;
  // Length bytes are <= 63, never in 'A'..'Z' (65..90), so lowering every octet is safe.
  for (char& c : wire) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
  return Name(std::move(wire));
}

}  // namespace dns
