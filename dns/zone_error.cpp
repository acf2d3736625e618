#include "dns/zone_error.h"

#include <fmt/format.h>

namespace dns {

ZoneError::ZoneError(std::string file_name, size_t line_number, const std::string& msg)
    : Error(fmt::format("{}:{}: {}", file_name, line_number, msg)),
      file(std::move(file_name)),
      line(line_number),
      message(msg) {}

}  // namespace dns
