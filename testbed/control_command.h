#pragma once
// The fault proxy's control language: one command per line, on its control socket (dnsctl -s
// SOCKET 'LINE' works) or in a test. Pure parsing; testbed::FaultProxy carries commands out.
//
//   fault SPEC                  simulator schedule items (harness/faults.h syntax,
//                               kind@AT_MS/A/B/DURATION_MS,...): each starts AT ms from now and
//                               is undone DURATION ms later (0: until `end` or `heal`). Link
//                               kinds only: isolate, partition, one-way, clog,
//                               delay@AT/A/B/DUR/MS[/JITTER], loss@AT/A/B/DUR/P.
//   delay A B MS JITTER [FOR]   bytes a -> b wait MS plus up to JITTER ms (order kept)
//   loss A B P [FOR]            each chunk of bytes a -> b cuts the connection with chance P
//   drop A B                    cuts the connections a -> b now (the node redials)
//   end ID                      undoes the active fault ID
//   heal                        undoes every fault, scheduled ones too
//   status                      the active faults and the links' connection counts
//
// Nodes are 1..N (the simulator's numbering). Replies: "OK ...", or "ERROR ..." naming the bad
// word.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/faults.h"
#include "testbed/link_faults.h"

namespace testbed {

// One parsed control line.
struct ControlCommand {
  enum class Verb : std::uint8_t { Fault, Add, Drop, End, Heal, Status, Blank };
  Verb verb = Verb::Blank;
  std::vector<harness::Fault> schedule;  // Fault: the items, times relative to now
  LinkFault fault;                       // Add (delay, loss) and Drop (a, b)
  std::uint64_t for_ms = 0;              // Add: how long; 0 until end/heal
  std::uint64_t id = 0;                  // End
};

// Throws std::invalid_argument with a message naming the bad word ("delay: JITTER 'x' is not a
// number"). A blank line or a '#' comment is Verb::Blank.
ControlCommand parse_control_command(std::string_view line);

}  // namespace testbed
