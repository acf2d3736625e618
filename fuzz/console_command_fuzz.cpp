// libFuzzer target for the console command parser: any line gives a command or an error naming
// the line (never an exception, never a crash), and every parsed change prints as master-file
// text that parses back, through the console, to the same change.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "dns/record.h"
#include "engine/console_command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  const engine::ConsoleDefaults defaults;
  engine::ConsoleCommand command = engine::parse_console_line(line, 42, defaults);
  if (const auto* error = std::get_if<engine::console::Error>(&command)) {
    if (!error->message.starts_with("line 42: ")) __builtin_trap();
  } else if (const auto* change = std::get_if<engine::console::Change>(&command)) {
    const std::string again = (change->change.kind == dns::Change::Add ? "ADD: " : "REMOVE: ") +
                              dns::to_text(change->change.record);
    engine::ConsoleCommand reparsed = engine::parse_console_line(again, 1, defaults);
    const auto* same = std::get_if<engine::console::Change>(&reparsed);
    if (!same || same->change.kind != change->change.kind ||
        !(same->change.record == change->change.record)) {
      __builtin_trap();
    }
  }
  return 0;
}
