#pragma once
// Errors and warnings reported while reading zone files.

#include <cstddef>
#include <string>

#include "dns/error.h"

namespace dns {

// A zone file that cannot be loaded: what() is "FILE:LINE: message".
struct ZoneError : Error {
  ZoneError(std::string file_name, size_t line_number, const std::string& message);

  std::string file;
  size_t line;
  std::string message;  // the part after "FILE:LINE: "
};

// Something in a zone file that loads but deserves the operator's attention.
struct ZoneWarning {
  std::string file;
  size_t line;
  std::string message;

  bool operator==(const ZoneWarning&) const = default;
};

}  // namespace dns
