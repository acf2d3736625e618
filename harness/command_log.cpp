#include "harness/command_log.h"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

namespace harness {
namespace {

void put_u64(raft::Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_u64(const raft::Bytes& in, std::size_t at) {
  if (at + 8 > in.size()) throw std::runtime_error("command log snapshot: truncated");
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(in[at + i]) << (8 * i);
  return v;
}

}  // namespace

raft::Bytes encode_command(const Command& command) {
  raft::Bytes out;
  out.reserve(16);
  put_u64(out, command.id);
  put_u64(out, command.proposer);
  return out;
}

std::optional<Command> decode_command(const raft::Bytes& data) {
  if (data.size() != 16) return std::nullopt;
  return Command{get_u64(data, 0), get_u64(data, 8)};
}

void CommandLog::apply(const raft::Entry& entry) {
  if (entry.index != applied_ + 1)
    throw std::logic_error(
        fmt::format("command log: applying index {} after {}", entry.index, applied_));
  hash_ = chain_hash(hash_, entry);
  applied_ = entry.index;
  if (entry.kind == raft::EntryKind::Normal)
    if (auto command = decode_command(entry.data)) commands_.push_back(command->id);
}

raft::Bytes CommandLog::snapshot() const {
  raft::Bytes out;
  out.reserve(24 + 8 * commands_.size());
  put_u64(out, applied_);
  put_u64(out, hash_);
  put_u64(out, commands_.size());
  const std::size_t at = out.size();
  out.resize(at + 8 * commands_.size());
  for (std::size_t i = 0; i < commands_.size(); ++i)
    for (int b = 0; b < 8; ++b)
      out[at + 8 * i + b] = static_cast<std::uint8_t>(commands_[i] >> (8 * b));
  return out;
}

void CommandLog::restore(const raft::Bytes& data) {
  const std::uint64_t count = get_u64(data, 16);
  if (data.size() != 24 + 8 * count)
    throw std::runtime_error(
        fmt::format("command log snapshot: {} bytes for {} commands", data.size(), count));
  applied_ = get_u64(data, 0);
  hash_ = get_u64(data, 8);
  commands_.clear();
  for (std::uint64_t i = 0; i < count; ++i)
    commands_.insert(commands_.end(), get_u64(data, 24 + 8 * i));
}

bool CommandLog::contains(CommandId id) const {
  return std::find(commands_.begin(), commands_.end(), id) != commands_.end();
}

std::uint64_t CommandLog::snapshot_hash(const raft::Bytes& data) {
  return get_u64(data, 8);
}

}  // namespace harness
