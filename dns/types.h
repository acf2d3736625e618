#pragma once
// DNS numeric constants (types, classes, rcodes, opcodes) and their mnemonics.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dns {

namespace type {
constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28,
                   SRV = 33, OPT = 41, DS = 43, RRSIG = 46, IXFR = 251, AXFR = 252, ANY = 255,
                   CAA = 257;
}
namespace rclass {
constexpr uint16_t IN = 1, CH = 3, NONE = 254, ANY = 255;
}
namespace rcode {
constexpr uint16_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5,
                   BADVERS = 16;
}
namespace opcode {
constexpr uint8_t QUERY = 0, NOTIFY = 4, UPDATE = 5;
}

std::string type_to_text(uint16_t type);                    // "A", ..., "TYPE65280" if unknown
std::optional<uint16_t> type_from_text(std::string_view);   // case-insensitive, accepts TYPEnnn
std::string class_to_text(uint16_t rclass);                 // "IN", ..., "CLASS300" if unknown
std::optional<uint16_t> class_from_text(std::string_view);  // case-insensitive, accepts CLASSnnn
std::string rcode_to_text(uint16_t rcode);                  // "NOERROR", ..., "RCODE23"

}  // namespace dns
