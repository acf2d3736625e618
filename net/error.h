#pragma once
// Errors raised by net/: bad listen addresses, sockets that cannot be bound, unreadable files.

#include <stdexcept>

namespace net {

// One-line, user-facing error (printed as "dns-node: <what()>").
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace net
