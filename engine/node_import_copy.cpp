// engine::Node's import by copy (engine/import_copy.h): the origin stages its zone file's
// records and proposes their digest; whoever holds records with that digest serves them, every
// other node copies the datastore of a peer that has served that index.

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "engine/import_copy.h"
#include "engine/node.h"

namespace engine {

namespace {

// The request id of an import by copy: taken from its digest, so that the same records proposed
// again (after a restart, from the import file) are the same request and R skips the duplicate.
std::uint64_t copy_request_id(const ImportDigest& digest) {
  std::uint64_t id = 0;
  std::memcpy(&id, digest.sha256.data(), sizeof id);
  return id == 0 ? 1 : id;
}

}  // namespace

bool Node::start_import_copy(std::vector<dns::Change>& adds) {
  ImportDigest digest;
  try {
    // Durable before it is proposed: from now on this node serves these records at the entry's
    // index whatever happens to its zone file.
    if (!import_file_)
      digest = write_import_file(disk_, adds);
    else
      digest = import_digest(adds);  // proposed again from the file staged before a restart
  } catch (const DiskError& e) {
    log(LogLevel::Warn,
        fmt::format("could not stage the import ({}); importing it record by record instead",
                    e.what()));
    return false;
  }
  import_file_ = true;
  log(LogLevel::Info,
      fmt::format("first boot: importing {} zone-file records by copy ({}): one entry, the other "
                  "nodes copy this node's datastore",
                  adds.size(), describe(digest)));
  own_import_ = OwnImport{digest, std::move(adds)};
  const std::uint64_t request_id = copy_request_id(digest);
  import_remaining_ = 1;
  import_in_flight_ = 1;
  propose_import(encode_command(ChangeBatch{options_.id, request_id, {}, true, digest}), request_id,
                 static_cast<std::size_t>(digest.records));
  return true;
}

const std::vector<dns::Change>* Node::own_import_records(const ChangeBatch& batch) {
  if (batch.origin != options_.id || !batch.copy) return nullptr;
  const ImportDigest& want = *batch.copy;
  if (own_import_ && own_import_->digest == want) return &own_import_->adds;
  // After a restart: the import file, or a wiped origin's zone file (the same records if the
  // file was not edited since; the digest tells).
  std::optional<std::vector<dns::Change>> adds;
  std::string source;
  try {
    adds = read_import_file(disk_);
    source = kImportFile;
  } catch (const raft::DecodeError& e) {
    log(LogLevel::Warn, fmt::format("import file: {}", e.what()));
  } catch (const DiskError& e) {
    log(LogLevel::Warn, fmt::format("import file: {}", e.what()));
  }
  if (!adds && !zone_fallback_.empty()) {
    adds.emplace();
    adds->reserve(zone_fallback_.size());
    for (const dns::Record& r : zone_fallback_) adds->push_back({dns::Change::Add, r});
    source = "the zone file";
  }
  if (!adds) return nullptr;
  const ImportDigest have = import_digest(*adds);
  if (!(have == want)) {
    log(LogLevel::Warn, fmt::format("{} does not hold this node's import by copy ({}; it holds {})",
                                    source, describe(want), describe(have)));
    return nullptr;
  }
  own_import_ = OwnImport{have, std::move(*adds)};
  return &own_import_->adds;
}

void Node::wait_for_import_copy(raft::Index index, const ChangeBatch& batch) {
  copy_needed_ = index;
  log(LogLevel::Info,
      fmt::format("index {} is node {}'s zone file imported by copy ({}): copying the datastore "
                  "of a node that has served it; until then zones this node lacks are answered "
                  "REFUSED and writes are refused",
                  index, batch.origin, describe(*batch.copy)));
  observer_->on_import_copy_needed(index);
  start_transfer(false);
}

raft::Index Node::uncopied_import_of(NodeId node) const {
  for (const auto& [index, batch] : state_.pending()) {
    if (!batch.copy || batch.origin != node) continue;
    bool copied = false;
    for (const auto& [member, acked] : state_.acked()) copied |= member != node && acked >= index;
    if (!copied) return index;
  }
  return 0;
}

bool Node::own_import_copy_above(raft::Index index) const {
  for (auto it = state_.pending().upper_bound(index); it != state_.pending().end(); ++it)
    if (it->second.copy && it->second.origin == options_.id) return true;
  return false;
}

void Node::maybe_drop_import_file() {
  if (!import_file_ && !own_import_ && zone_fallback_.empty()) return;
  // The import is committed and served here (imported_), and the local datastore holds every
  // import by copy of this node's that R still has: nobody needs the records from here again.
  if (!imported_ || awaiting_decision_ || transfer_wanted_ ||
      own_import_copy_above(store_.durable_hw()))
    return;
  own_import_.reset();
  zone_fallback_ = {};
  if (!import_file_) return;
  try {
    disk_.remove(kImportFile);
    import_file_ = false;
    log(LogLevel::Info, "the zone file's import is in the local datastore: import file removed");
  } catch (const DiskError& e) {
    log(LogLevel::Warn, fmt::format("could not remove the import file: {}", e.what()));
  }
}

}  // namespace engine
