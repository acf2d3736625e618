#pragma once
// The exception every invariant check of the simulated clusters throws (raft and DNS alike):
// the run stops there and reports the invariant's short name with the details.

#include <stdexcept>
#include <string>
#include <utility>

namespace harness {

// Thrown by the invariant checkers; `invariant` is the short name printed in reports.
class InvariantViolation : public std::runtime_error {
 public:
  InvariantViolation(std::string invariant, const std::string& detail)
      : std::runtime_error(invariant + ": " + detail), invariant_(std::move(invariant)) {}
  const std::string& invariant() const { return invariant_; }

 private:
  std::string invariant_;
};

}  // namespace harness
