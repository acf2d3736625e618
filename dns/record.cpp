#include "dns/record.h"

#include <cstring>

#include <fmt/format.h>

#include "dns/rdata.h"
#include "dns/wire.h"

namespace dns {

bool rdata_equal(uint16_t type, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  const bool same_octets = a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0;
  const wire::RdataLayout* layout = wire::name_layout(type);
  if (!layout) return same_octets;
  // Walk both in step without allocating: names case-insensitively, fixed fields exactly.
  std::span<const uint8_t> x = a, y = b;
  size_t pos = 0;
  for (uint8_t f = 0; f < layout->field_count; ++f) {
    const auto& field = layout->fields[f];
    size_t len = field.is_name ? wire::uncompressed_name_length(x.subspan(pos)) : field.fixed_size;
    if (len == 0 || len > x.size() - pos) return same_octets;  // malformed: compare octets
    if (field.is_name) {
      if (wire::uncompressed_name_length(y.subspan(pos)) != len) return false;
      for (size_t i = pos; i < pos + len; ++i) {
        if (ascii_lower(x[i]) != ascii_lower(y[i])) return false;
      }
    } else if (std::memcmp(x.data() + pos, y.data() + pos, len) != 0) {
      return false;
    }
    pos += len;
  }
  return pos == x.size() || same_octets;
}

bool Record::operator==(const Record& other) const {
  return type == other.type && rclass == other.rclass && ttl == other.ttl && owner == other.owner &&
         rdata_equal(type, rdata, other.rdata);
}

std::string to_text(const Record& record) {
  return fmt::format("{} {} {} {} {}", record.owner.to_text(), record.ttl,
                     class_to_text(record.rclass), type_to_text(record.type),
                     rdata_to_text(record.type, record.rdata));
}

}  // namespace dns
