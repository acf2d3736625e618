#pragma once
// Internal helpers of the codec: a bounds-checked reader over received octets, a non-throwing
// writer into a caller-supplied buffer, and the layout of rdata types that embed domain names.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include <fmt/format.h>

#include "dns/error.h"

namespace dns::wire {

// Reads big-endian fields from a span; every read is bounds-checked and throws FormatError
// naming the field that did not fit.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data, size_t pos = 0) : data_(data), pos_(pos) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  std::span<const uint8_t> data() const { return data_; }
  void seek(size_t pos) { pos_ = pos; }

  uint8_t u8(const char* what) {
    need(1, what);
    return data_[pos_++];
  }
  uint16_t u16(const char* what) {
    need(2, what);
    uint16_t v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u32(const char* what) {
    need(4, what);
    uint32_t v = uint32_t{data_[pos_]} << 24 | uint32_t{data_[pos_ + 1]} << 16 |
                 uint32_t{data_[pos_ + 2]} << 8 | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::span<const uint8_t> bytes(size_t n, const char* what) {
    need(n, what);
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  void need(size_t n, const char* what) const {
    if (n > data_.size() - pos_) {
      throw FormatError(fmt::format("truncated data: {} needs {} octets at offset {}, {} left",
                                    what, n, pos_, data_.size() - pos_));
    }
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_;
};

// Most compression jumps a valid name can need: one per label.
constexpr int kMaxCompressionJumps = 127;

// Reads a possibly compressed name from `packet` at `pos` (which must lie before `limit`, the
// end of the enclosing field), appending its uncompressed wire form to `out`; returns the offset
// just past the name's in-place octets. Each pointer must go strictly below the start of the
// stretch that contained it, so decoding always terminates.
template <typename Out>  // std::string or std::vector<uint8_t>
size_t read_compressed_name(std::span<const uint8_t> packet, size_t pos, size_t limit, Out& out,
                            const char* what) {
  size_t end_in_place = 0;  // 0 until the first pointer is followed
  size_t stretch_start = pos;
  size_t current_limit = limit;
  size_t length = 0;
  int jumps = 0;
  while (true) {
    if (pos >= current_limit) {
      throw FormatError(fmt::format("truncated data: {} runs past offset {}", what, current_limit));
    }
    uint8_t len = packet[pos];
    if (len == 0) {
      out.push_back('\0');
      length += 1;
      if (length > 255) {
        throw FormatError(fmt::format("{} is longer than 255 octets", what));
      }
      return end_in_place ? end_in_place : pos + 1;
    }
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= current_limit) {
        throw FormatError(fmt::format("truncated data: {} has half a compression pointer", what));
      }
      size_t target = size_t{len & 0x3fu} << 8 | packet[pos + 1];
      if (target >= stretch_start) {
        throw FormatError(fmt::format(
            "{}: compression pointer at offset {} to offset {} does not point backwards", what, pos,
            target));
      }
      if (target < 12) {
        throw FormatError(
            fmt::format("{}: compression pointer at offset {} points into the header (offset {})",
                        what, pos, target));
      }
      if (++jumps > kMaxCompressionJumps) {
        throw FormatError(fmt::format("{}: too many compression pointers", what));
      }
      if (!end_in_place) end_in_place = pos + 2;
      // Targets are earlier than any compressed stretch, so the whole packet prefix is fair game.
      current_limit = stretch_start;
      stretch_start = target;
      pos = target;
      continue;
    }
    if (len & 0xc0) {
      throw FormatError(
          fmt::format("{}: unsupported label type 0x{:02x} at offset {}", what, len & 0xc0, pos));
    }
    if (pos + 1 + len > current_limit) {
      throw FormatError(
          fmt::format("truncated data: label of {} octets at offset {} in {}", len, pos, what));
    }
    length += 1 + len;
    if (length + 1 > 255) {
      throw FormatError(fmt::format("{} is longer than 255 octets", what));
    }
    out.insert(out.end(), packet.data() + pos, packet.data() + pos + 1 + len);
    pos += 1 + len;
  }
}

// Length of the valid uncompressed name at the start of `data`, or 0 if there is none.
inline size_t uncompressed_name_length(std::span<const uint8_t> data) {
  size_t pos = 0;
  while (pos < data.size()) {
    uint8_t len = data[pos];
    if (len == 0) return pos + 1;
    if (len > 63) return 0;
    pos += 1 + len;
    if (pos + 1 > 255) return 0;
  }
  return 0;
}

// Writes into a fixed buffer; once something does not fit it records overflow and ignores
// further writes, so callers check once per record instead of per field.
class Writer {
 public:
  explicit Writer(std::span<uint8_t> out) : buf_(out.data()), cap_(out.size()) {}

  size_t position() const { return pos_; }
  bool overflow() const { return overflow_; }
  size_t capacity() const { return cap_; }
  void set_capacity(size_t cap) { cap_ = cap; }
  void rewind(size_t pos) {
    pos_ = pos;
    overflow_ = false;
  }
  uint8_t* at(size_t pos) { return buf_ + pos; }

  void u8(uint8_t v) {
    if (fits(1)) buf_[pos_++] = v;
  }
  void u16(uint16_t v) {
    if (fits(2)) {
      buf_[pos_] = static_cast<uint8_t>(v >> 8);
      buf_[pos_ + 1] = static_cast<uint8_t>(v);
      pos_ += 2;
    }
  }
  void u32(uint32_t v) {
    if (fits(4)) {
      buf_[pos_] = static_cast<uint8_t>(v >> 24);
      buf_[pos_ + 1] = static_cast<uint8_t>(v >> 16);
      buf_[pos_ + 2] = static_cast<uint8_t>(v >> 8);
      buf_[pos_ + 3] = static_cast<uint8_t>(v);
      pos_ += 4;
    }
  }
  void bytes(const void* data, size_t n) {
    if (n && fits(n)) {
      std::memcpy(buf_ + pos_, data, n);
      pos_ += n;
    }
  }
  void put_u16_at(size_t pos, uint16_t v) {
    buf_[pos] = static_cast<uint8_t>(v >> 8);
    buf_[pos + 1] = static_cast<uint8_t>(v);
  }

 private:
  bool fits(size_t n) {
    if (overflow_ || n > cap_ - pos_) {
      overflow_ = true;
      return false;
    }
    return true;
  }
  uint8_t* buf_;
  size_t cap_;
  size_t pos_ = 0;
  bool overflow_ = false;
};

// Shape of an rdata type that embeds domain names: a sequence of names and fixed-size fields.
struct RdataLayout {
  struct Field {
    bool is_name;
    uint8_t fixed_size;  // when !is_name
  };
  uint8_t field_count;
  Field fields[3];
  bool compress_on_encode;  // RFC 1035 types only (RFC 3597 §4); never SRV
};

// Layout of NS, CNAME, PTR, MX, SOA, SRV; nullptr for types without embedded names.
const RdataLayout* name_layout(uint16_t type);

}  // namespace dns::wire
