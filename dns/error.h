#pragma once
// Exceptions thrown by the dns/ library: Error for bad presentation (text) input, FormatError for
// malformed wire data. Messages say what was expected; callers add file:line or peer context.
#include <stdexcept>

namespace dns {

// Bad text input (master-file fields, names, type mnemonics).
struct Error : std::runtime_error {
  using runtime_error::runtime_error;
};

// Malformed wire data (a packet, an rdata blob, an uncompressed name).
struct FormatError : Error {
  using Error::Error;
};

}  // namespace dns
