#pragma once
// Reading zone files from disk for the dns/ parser, which never opens files itself.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dns/record.h"

namespace net {

// The records of a set of zone files, in order, plus the parser's warnings ("file:line: ...").
struct ZoneFileContents {
  std::vector<dns::Record> records;
  std::vector<std::string> warnings;
};

// Reads and parses every file (master or prototype format, detected per file). $INCLUDE paths
// are taken relative to the directory of the file being read unless absolute. Throws
// dns::ZoneError ("file:line: message") for bad content and net::Error ("cannot read FILE:
// reason") for a file that cannot be read. `default_ttl` is the TTL of records that state none.
ZoneFileContents read_zone_files(const std::vector<std::string>& paths,
                                 std::uint32_t default_ttl = 3600);

// read_zone_files(), handing the records in file order, a batch at a time, to `consume`, which
// runs on a thread of its own, so zones can be built while the rest of the files is parsed.
// Returns the parser's warnings ("file:line: ..."). Throws what read_zone_files() throws, and
// what `consume` throws, once that thread has stopped.
std::vector<std::string> stream_zone_files(
    const std::vector<std::string>& paths, std::uint32_t default_ttl,
    const std::function<void(dns::RecordBatch batch)>& consume);

// The whole content of a file; throws net::Error("cannot read PATH: reason").
std::string read_text_file(const std::string& path);

}  // namespace net
