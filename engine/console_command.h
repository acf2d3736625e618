#pragma once
// The command language dns-node reads on standard input, as in the 2017 prototype:
// `ADD: name TYPE value`, `REMOVE: name TYPE value`, `STATUS`, `HELP`, `RELOAD`. Parsing only;
// replies are the node's business.
//
// A record may be written in either syntax the zone files use, and the same parsers read it:
//  - the prototype's `name TYPE value` (dns::parse_prototype_zone): a value starting with `[` is
//    a JSON list (MX ["exchange", preference], SOA ["mname", "rname"], TXT ["s1", ...], other
//    types their fields in order) whose names are absolute as in the prototype; an unquoted TXT
//    value is one character-string taken verbatim, spaces included;
//  - RFC 1035 master-file syntax `name [TTL] [IN] TYPE rdata` (dns::parse_master_file): chosen
//    whenever a TTL or class comes before the type, or the value is neither a JSON list nor an
//    unquoted TXT string (for those the two syntaxes read the same).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "dns/name.h"
#include "dns/zone_db.h"

namespace engine {

// What a console line leaves to the node's judgement: the TTL of records that state none, and
// the origin that completes names written without a trailing dot.
struct ConsoleDefaults {
  uint32_t ttl = 3600;
  // Names without a trailing dot are relative to this origin (RFC 1035 §5.1, as in a zone file).
  // The root by default, so that they come out absolute, which is what the prototype did with
  // every name and what an operator pasting a prototype line expects.
  dns::Name origin = dns::Name();
};

// Longer lines are refused before any parsing (no record's text comes close: rdata is at most
// 65535 octets on the wire and a console line is typed or piped, not a zone file).
inline constexpr size_t kMaxConsoleLineLength = 64 * 1024;

namespace console {

// ADD or REMOVE of one record.
struct Change {
  dns::Change change;
};
// STATUS: print role, term, leader, commit index, pending size, acks, local high-water mark.
struct Status {};
// HELP: print console_help().
struct Help {};
// RELOAD: re-import the node's zone file.
struct Reload {};
// MEMBERS: print the voters, learners and leader.
struct Members {};
// ADD-NODE <id> <raft ip:port> <dns ip:port>: add a learner (the leader promotes it later).
// The addresses are checked for shape only (host, colon, port 1-65535); the node checks more.
struct AddNode {
  std::uint64_t id = 0;
  std::string raft_address;
  std::string dns_address;
};
// REMOVE-NODE <id>: remove a voter or learner.
struct RemoveNode {
  std::uint64_t id = 0;
};
// A blank line or a comment (`#` or `;` first): nothing to do, nothing to reply.
struct Empty {};
// A line that is not a valid command. message is "line N: what is wrong", ready to print after
// "ERROR ".
struct Error {
  std::string message;
};

}  // namespace console

using ConsoleCommand =
    std::variant<console::Change, console::Status, console::Help, console::Reload, console::Members,
                 console::AddNode, console::RemoveNode, console::Empty, console::Error>;

// Parses one line of console input (without its line end; a trailing '\r' is ignored).
// line_number is used only in error messages. Never throws on bad input: every problem becomes
// console::Error. Keywords are case-insensitive; the colon after ADD/REMOVE may be followed by a
// space, a tab or nothing, and may be left out when a space or tab follows the keyword.
ConsoleCommand parse_console_line(std::string_view line, int line_number,
                                  const ConsoleDefaults& defaults);

// The HELP text: every command with an example, one or more lines each, ending in '\n'.
const std::string& console_help();

}  // namespace engine
