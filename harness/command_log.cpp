#include "harness/command_log.h"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

#include "raft/codec.h"

namespace harness {

raft::Bytes encode_command(const Command& command) {
  raft::Bytes out;
  out.reserve(16);
  raft::ByteWriter w(out);
  w.u64(command.id);
  w.u64(command.proposer);
  return out;
}

std::optional<Command> decode_command(const raft::Bytes& data) {
  if (data.size() != 16) return std::nullopt;
  raft::ByteReader r(data);
  const CommandId id = r.u64("command id");
  return Command{id, r.u64("command proposer")};
}

void CommandLog::apply(const raft::Entry& entry) {
  if (entry.index != applied_ + 1)
    throw std::logic_error(
        fmt::format("command log: applying index {} after {}", entry.index, applied_));
  if (hashed_) hash_ = chain_hash(hash_, entry);
  applied_ = entry.index;
  if (entry.kind == raft::EntryKind::Normal)
    if (auto command = decode_command(entry.data)) commands_.push_back(command->id);
}

raft::Bytes CommandLog::snapshot() const {
  raft::Bytes out;
  out.reserve(24 + 8 * commands_.size());
  raft::ByteWriter w(out);
  w.u64(applied_);
  w.u64(hash_);
  w.u64(commands_.size());
  for (CommandId id : commands_) w.u64(id);
  return out;
}

void CommandLog::restore(const raft::Bytes& data) {
  raft::ByteReader r(data);
  const raft::Index applied = r.u64("command log snapshot: applied index");
  const std::uint64_t hash = r.u64("command log snapshot: hash");
  const std::uint64_t count = r.u64("command log snapshot: command count");
  if (r.remaining() / 8 != count || r.remaining() % 8 != 0)
    throw std::runtime_error(
        fmt::format("command log snapshot: {} bytes for {} commands", data.size(), count));
  applied_ = applied;
  hash_ = hash;
  commands_.clear();
  commands_.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) commands_.push_back(r.u64("command log snapshot: id"));
}

bool CommandLog::contains(CommandId id) const {
  return std::find(commands_.begin(), commands_.end(), id) != commands_.end();
}

std::uint64_t CommandLog::snapshot_hash(const raft::Bytes& data) {
  raft::ByteReader r(data);
  r.u64("command log snapshot: applied index");
  return r.u64("command log snapshot: hash");
}

}  // namespace harness
