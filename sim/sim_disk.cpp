#include "sim/sim_disk.h"

#include <algorithm>
#include <stdexcept>

namespace sim {

std::optional<engine::Bytes> SimDisk::read(const std::string& name) const {
  auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  return it->second.current;
}

std::optional<engine::Bytes> SimDisk::read_range(const std::string& name, std::uint64_t offset,
                                                 std::size_t length) const {
  auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  const engine::Bytes& data = it->second.current;
  const std::size_t from = std::min<std::uint64_t>(offset, data.size());
  const std::size_t to = from + std::min(length, data.size() - from);
  return engine::Bytes(data.begin() + from, data.begin() + to);
}

void SimDisk::begin_fault(DiskFault fault) {
  ++(fault == DiskFault::Full ? full_ : failing_syncs_);
}

void SimDisk::end_fault(DiskFault fault) {
  int& count = fault == DiskFault::Full ? full_ : failing_syncs_;
  if (count == 0) throw std::logic_error("SimDisk::end_fault without begin_fault");
  --count;
}

void SimDisk::clear_faults() {
  full_ = failing_syncs_ = 0;
}

void SimDisk::fail(const char* code, const char* operation, const std::string& name,
                   bool retry_safe, const char* why) {
  ++failed_calls_;
  throw engine::DiskError(
      code, operation, name, retry_safe,
      std::string("cannot ") + operation + " " + name + ": " + why + " (simulated)");
}

void SimDisk::append(const std::string& name, engine::ByteView data) {
  if (full_ > 0) fail("ENOSPC", "write", name, true, "No space left on device");
  File& file = files_[name];
  file.current.insert(file.current.end(), data.begin(), data.end());
  bytes_written_ += data.size();
}

void SimDisk::write_at(const std::string& name, std::uint64_t offset, engine::ByteView data) {
  if (auto it = files_.find(name);
      full_ > 0 && (it == files_.end() || offset + data.size() > it->second.current.size()))
    fail("ENOSPC", "write", name, true, "No space left on device");
  File& file = files_[name];
  if (offset > file.current.size()) throw std::logic_error("SimDisk::write_at past the end");
  if (offset + data.size() > file.current.size()) file.current.resize(offset + data.size());
  std::copy(data.begin(), data.end(), file.current.begin() + offset);
  bytes_written_ += data.size();
}

// The file keeps its page-cache state: what it had not synced may still be lost (crash()), now
// under the new name. The name change itself is durable (the directory is fsynced).
void SimDisk::rename(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) fail("ENOENT", "rename", from, true, "No such file or directory");
  File moved = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(moved);
}

void SimDisk::truncate(const std::string& name, std::uint64_t size) {
  auto it = files_.find(name);
  if (it == files_.end()) return;
  if (size < it->second.current.size()) it->second.current.resize(size);
}

void SimDisk::sync(const std::string& name) {
  auto it = files_.find(name);
  if (it == files_.end()) return;
  File& file = it->second;
  if (failing_syncs_ > 0) {
    file.write_back_lost = true;
    fail("EIO", "fsync", name, false, "Input/output error");
  }
  if (!file.write_back_lost) file.durable = file.current;
  ++syncs_;
}

void SimDisk::replace(const std::string& name, engine::ByteView data) {
  if (full_ > 0) fail("ENOSPC", "write", name, true, "No space left on device");
  if (failing_syncs_ > 0) fail("EIO", "fsync", name, true, "Input/output error");
  File& file = files_[name];
  file.current.assign(data.begin(), data.end());
  file.durable = file.current;
  file.write_back_lost = false;
  bytes_written_ += data.size();
  ++syncs_;
}

void SimDisk::remove(const std::string& name) {
  // Removal is treated as durable immediately: the stores above only remove files they no
  // longer need, so a resurrected file would be a harmless leftover in a real system.
  files_.erase(name);
}

std::vector<std::string> SimDisk::list() const {
  std::vector<std::string> names;
  for (const auto& [name, file] : files_) names.push_back(name);
  return names;
}

std::uint64_t SimDisk::unsynced_bytes() const {
  std::uint64_t total = 0;
  for (const auto& [name, file] : files_) {
    const std::size_t durable = file.durable ? file.durable->size() : 0;
    if (file.current.size() > durable) total += file.current.size() - durable;
  }
  return total;
}

void SimDisk::crash(bool torn, Prng& prng) {
  for (auto it = files_.begin(); it != files_.end();) {
    File& file = it->second;
    // Bytes whose write-back failed never reach the platter, not even in part.
    const bool tear = torn && !file.write_back_lost;
    file.write_back_lost = false;
    if (!file.durable) {
      // Never synced: the file's directory entry was never made durable either.
      const bool keep_some = tear && !file.current.empty() && prng.chance(0.5);
      if (!keep_some) {
        it = files_.erase(it);
        continue;
      }
      file.current.resize(prng.below(file.current.size() + 1));
      file.durable = file.current;
      ++it;
      continue;
    }
    const engine::Bytes& durable = *file.durable;
    const bool pure_append = file.current.size() > durable.size() &&
                             std::equal(durable.begin(), durable.end(), file.current.begin());
    if (tear && pure_append) {
      const std::size_t tail = file.current.size() - durable.size();
      file.current.resize(durable.size() + prng.below(tail + 1));
    } else {
      file.current = durable;
    }
    file.durable = file.current;
    ++it;
  }
}

}  // namespace sim
