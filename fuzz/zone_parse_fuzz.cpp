// libFuzzer target for the zone-file parsers: any text either parses or throws dns::Error, and
// whatever parses prints as master-file text that parses back to the same records.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dns/error.h"
#include "dns/zone_parser.h"

namespace {

// Records a parse produced must survive print_zone -> parse_master_file unchanged.
void check_round_trip(const dns::ZoneParseResult& result) {
  std::string printed = dns::print_zone(result.records);
  dns::ZoneParseResult again = dns::parse_master_file(printed, "printed.zone", {});
  if (!(again.records == result.records)) __builtin_trap();
}

template <typename Parse>
void try_parse(Parse&& parse) {
  try {
    check_round_trip(parse());
  } catch (const dns::Error&) {
    // Bad input is reported as dns::Error (ZoneError with file:line); anything else escapes.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  dns::ZoneParseOptions opts;
  opts.include_reader = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  try_parse([&] { return dns::parse_zone(text, "fuzz.zone", opts); });
  // Both parsers on every input, whatever the detection picks.
  try_parse([&] { return dns::parse_master_file(text, "fuzz.zone", opts); });
  try_parse([&] { return dns::parse_prototype_zone(text, "fuzz.zone", opts); });
  return 0;
}
