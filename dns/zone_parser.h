#pragma once
// Zone-file parsing from text: RFC 1035 master files and the 2017 prototype's line format.
//
// The parsers are pure: they never open a file. The caller passes the text, and a reader for the
// files named by $INCLUDE.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/zone_error.h"

namespace dns {

// How to read a zone file.
struct ZoneParseOptions {
  Name origin = Name();         // initial $ORIGIN of a master file (prototype names are absolute)
  uint32_t default_ttl = 3600;  // TTL of records that state none (prototype: every record)
  // Returns the text of a $INCLUDE'd file, given its name as written in the directive (the
  // caller resolves relative names), or nullopt when it cannot be read. Null = $INCLUDE is an
  // error.
  std::function<std::optional<std::string>(const std::string& path)> include_reader;
  int max_include_depth = 8;  // a top-level file at depth 0 may include down to this depth
};

// Records in file order, plus the warnings (e.g. a CNAME beside other data).
struct ZoneParseResult {
  std::vector<Record> records;
  std::vector<ZoneWarning> warnings;
};

// RFC 1035 §5.1 master file with RFC 2308 $TTL. Supported: $ORIGIN, $TTL, $INCLUDE file [origin]
// (the include's $ORIGIN/$TTL/owner changes do not leak back), parentheses, `@`, a blank owner
// meaning the previous owner, relative names, TTL (with units: 1w2d3h4m5s) and class IN in either
// order and optional, quoted strings with \" and \DDD, `;` comments, RFC 3597 `\# len hex`, CRLF.
// A record without a TTL takes $TTL if set, else the last TTL stated in the file (RFC 1035), else
// opts.default_ttl. Classes other than IN are an error. Errors throw ZoneError "FILE:LINE: msg".
// Warnings: a CNAME beside other data at the same owner (it loads; exact-type data wins).
ZoneParseResult parse_master_file(std::string_view text, const std::string& file_name,
                                  const ZoneParseOptions& opts);

// Defaults for the prototype's `SOA ["mname", "rname"]` (a 7-element list sets them all).
inline constexpr uint32_t kPrototypeSoaSerial = 1;
inline constexpr uint32_t kPrototypeSoaRefresh = 3600;
inline constexpr uint32_t kPrototypeSoaRetry = 600;
inline constexpr uint32_t kPrototypeSoaExpire = 86400;
inline constexpr uint32_t kPrototypeSoaMinimum = 300;

// The 2017 prototype's format (see zone-files/zf0.txt): `name TYPE value` per line; a line that
// starts with `#` is a comment; a line that starts with a space or tab continues the previous
// line (stripped and appended without a separator). The value is the rest of the line; if it
// starts with `[` it is a JSON list: MX ["exchange", preference], SOA ["mname", "rname"] (or all
// 7 fields), TXT ["string", ...], any other type its master-file fields in order. Otherwise TXT
// takes the whole value as one character-string (split into 255-byte chunks), other types read
// it in master-file syntax. Names are absolute with or without a trailing dot. TTL is
// opts.default_ttl.
ZoneParseResult parse_prototype_zone(std::string_view text, const std::string& file_name,
                                     const ZoneParseOptions& opts);

enum class ZoneFormat { Master, Prototype };

// The prototype format is chosen when all of these hold, otherwise master format:
//  - no line starts with `$` (no directives) and no line's first non-blank character is `;`;
//  - there is at least one data line (not blank, not a `#` comment, not a continuation);
//  - every data line has 3+ fields, its 1st field is not `@` and its 2nd field is a record type
//    mnemonic (a master line's 2nd field would be a TTL, a class, or a type with no class/TTL);
//  - continuation lines only follow TXT lines or values that start with `[` (in a master file
//    they would be further records of the same owner).
// A master file made only of `name TYPE value` lines is read as prototype; the only differences
// are that TXT values become one string and names ignore opts.origin.
ZoneFormat detect_zone_format(std::string_view text);

// Detects the format, then parses it.
ZoneParseResult parse_zone(std::string_view text, const std::string& file_name,
                           const ZoneParseOptions& opts);

// Takes records a batch at a time while a file is parsed, so that a zone of millions of records is
// never one vector and another thread can build zones from the batches meanwhile. The parser
// keeps every batch too, until it has checked the whole file (CNAME conflicts).
using RecordBatchSink = std::function<void(RecordBatch batch)>;

// parse_zone(), handing the records to `sink` in file order, at most `batch_records` at a time,
// each batch as soon as it is full. Returns the warnings. An exception (from the parser or from
// `sink`) ends the parse; the batches already handed over stay valid.
std::vector<ZoneWarning> parse_zone_batches(std::string_view text, const std::string& file_name,
                                            const ZoneParseOptions& opts,
                                            const RecordBatchSink& sink,
                                            size_t batch_records = 8192);

// Master-file text, one record per line ("owner TTL IN TYPE rdata"), absolute names, in order.
std::string print_zone(const std::vector<Record>& records);

// A master-file TTL: decimal seconds or units (1w2d3h4m5s, case-insensitive), at most
// 2147483647 (RFC 2181 §8). nullopt if `text` is not one.
std::optional<uint32_t> parse_ttl(std::string_view text);

}  // namespace dns
