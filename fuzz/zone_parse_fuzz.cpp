// libFuzzer target for the zone-file parsers: any text either parses or throws dns::Error,
// whatever parses prints as master-file text that parses back to the same records, and parsing
// in batches gives the whole parse's records and warnings (or its error).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// parse_zone_batches (batches of 3) against parse_zone: the same records in the same order and the
// same warnings, or an error from both.
void check_batches(std::string_view text, const dns::ZoneParseOptions& opts) {
  std::optional<dns::ZoneParseResult> whole;
  try {
    whole = dns::parse_zone(text, "fuzz.zone", opts);
  } catch (const dns::Error&) {
  }
  std::vector<dns::Record> records;
  std::optional<std::vector<dns::ZoneWarning>> warnings;
  // A master file comes in batches of at most 3; a prototype file whole, as one.
  const bool master = dns::detect_zone_format(text) == dns::ZoneFormat::Master;
  try {
    warnings = dns::parse_zone_batches(
        text, "fuzz.zone", opts,
        [&](dns::RecordBatch batch) {
          if (batch->empty() || (master && batch->size() > 3)) __builtin_trap();
          records.insert(records.end(), batch->begin(), batch->end());
        },
        3);
  } catch (const dns::Error&) {
  }
  if (whole.has_value() != warnings.has_value()) __builtin_trap();
  if (whole && (!(whole->records == records) || !(whole->warnings == *warnings))) __builtin_trap();
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
  check_batches(text, opts);
  return 0;
}
