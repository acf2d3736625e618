#pragma once
// dns::Name: a domain name held as its uncompressed wire form (length-prefixed labels ending in
// the root label), with case preserved but compared case-insensitively (ASCII only).
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dns {

// A domain name; always absolute and always valid (<= 255 octets, labels <= 63).
class Name {
 public:
  static constexpr size_t kMaxWireLength = 255;
  static constexpr size_t kMaxLabelLength = 63;

  Name();  // the root

  // Presentation form -> Name. "@" is the origin; a name without trailing dot is relative to
  // origin; \DDD and \X escapes. Throws dns::Error naming why the text is not a valid name.
  static Name from_text(std::string_view text, const Name& origin = Name());
  // Uncompressed wire form -> Name; the span must hold exactly one name. Throws FormatError.
  static Name from_wire(std::span<const uint8_t> uncompressed);
  // Same, from an already-validated wire string (no checks beyond debug asserts); internal use by
  // the codec on the hot path.
  static Name from_validated_wire(std::string wire);

  const std::string& wire() const { return wire_; }
  size_t wire_length() const { return wire_.size(); }
  std::string to_text() const;  // "www.example.com." with escapes; root is "."

  size_t label_count() const;              // root = 0
  std::string_view label(size_t i) const;  // i = 0 is the leftmost label (no length byte)
  bool is_root() const { return wire_.size() == 1; }
  bool is_wildcard() const;                    // first label is "*"
  Name parent() const;                         // drops the leftmost label (root stays root)
  Name suffix(size_t labels) const;            // the last `labels` labels
  Name prepend(std::string_view label) const;  // label is raw octets; throws Error if too long
  bool is_subdomain_of(const Name& ancestor) const;  // case-insensitive; true if equal

  bool operator==(const Name& other) const;                   // case-insensitive (ASCII)
  std::strong_ordering operator<=>(const Name& other) const;  // RFC 4034 §6.1 canonical order
  size_t hash() const;                                        // case-insensitive
  Name lowercased() const;

 private:
  explicit Name(std::string wire) : wire_(std::move(wire)) {}
  std::string wire_;
};

// Case-insensitive hash for unordered containers keyed by Name.
struct NameHash {
  size_t operator()(const Name& n) const { return n.hash(); }
};

// ASCII-only lowercase of one octet (DNS names compare case-insensitively on A-Z only).
constexpr uint8_t ascii_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

}  // namespace dns
