#include "net/zone_files.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "dns/zone_parser.h"
#include "net/error.h"

namespace net {

namespace {

std::string lowercase_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(fmt::format("cannot read {}: is a directory", path));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(fmt::format("cannot read {}: {}", path, lowercase_first(std::strerror(errno))));
  struct stat st {};
  std::string text;
  // One read of the size fstat gives (a large zone file grew a stream buffer many times over);
  // keep reading past it for files that grow or report no size (pipes, /proc).
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    text.reserve(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  for (;;) {
    if (text.size() == used) text.resize(std::max<size_t>(text.capacity(), used + 65536));
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw Error(fmt::format("cannot read {}: {}", path, lowercase_first(std::strerror(err))));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(used);
  return text;
}

namespace {

dns::ZoneParseOptions parse_options(const std::string& path, std::uint32_t default_ttl) {
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  dns::ZoneParseOptions options;
  options.default_ttl = default_ttl;
  options.include_reader = [directory](const std::string& name) -> std::optional<std::string> {
    std::filesystem::path include(name);
    if (include.is_relative()) include = directory / include;
    try {
      return read_text_file(include.string());
    } catch (const Error&) {
      return std::nullopt;  // the parser reports it as "file:line: cannot read ..."
    }
  };
  return options;
}

void add_warnings(const std::vector<dns::ZoneWarning>& parsed, std::vector<std::string>& out) {
  for (const auto& warning : parsed)
    out.push_back(fmt::format("{}:{}: {}", warning.file, warning.line, warning.message));
}

// Batches from the parsing thread to the building one, in order.
class BatchQueue {
 public:
  void push(dns::RecordBatch batch) {
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) throw Cancelled{};
      batches_.push_back(std::move(batch));
    }
    ready_.notify_one();
  }
  // No more batches will come.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_one();
  }
  // The next batch, or null once the queue is closed and empty.
  dns::RecordBatch pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return closed_ || !batches_.empty(); });
    if (batches_.empty()) return nullptr;
    dns::RecordBatch batch = std::move(batches_.front());
    batches_.pop_front();
    return batch;
  }
  // The consumer gave up: the parser's next push throws Cancelled.
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }

  struct Cancelled {};

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<dns::RecordBatch> batches_;
  bool closed_ = false;
  bool cancelled_ = false;
};

}  // namespace

ZoneFileContents read_zone_files(const std::vector<std::string>& paths, std::uint32_t default_ttl) {
  ZoneFileContents result;
  for (const auto& path : paths) {
    std::string text = read_text_file(path);
    auto parsed = dns::parse_zone(text, path, parse_options(path, default_ttl));
    if (result.records.empty()) {
      result.records = std::move(parsed.records);  // the usual single file: no copy
    } else {
      result.records.reserve(result.records.size() + parsed.records.size());
      for (auto& record : parsed.records) result.records.push_back(std::move(record));
    }
    add_warnings(parsed.warnings, result.warnings);
  }
  return result;
}

std::vector<std::string> stream_zone_files(
    const std::vector<std::string>& paths, std::uint32_t default_ttl,
    const std::function<void(dns::RecordBatch batch)>& consume) {
  BatchQueue queue;
  // The zones are built on the new thread and the records parsed on this one: the parsed records
  // are all freed at the end, and glibc gives back the free memory of the calling (main) thread's
  // heap whole, but keeps up to 64 MiB on top of another thread's (which would stay resident).
  std::exception_ptr consume_error;
  std::thread builder([&] {
    try {
      while (dns::RecordBatch batch = queue.pop()) consume(std::move(batch));
    } catch (...) {
      consume_error = std::current_exception();
      queue.cancel();
    }
  });
  std::vector<std::string> warnings;
  try {
    for (const auto& path : paths) {
      const std::string text = read_text_file(path);
      add_warnings(
          dns::parse_zone_batches(text, path, parse_options(path, default_ttl),
                                  [&](dns::RecordBatch batch) { queue.push(std::move(batch)); }),
          warnings);
    }
  } catch (const BatchQueue::Cancelled&) {
    // the builder failed: its error is thrown below
  } catch (...) {
    queue.close();
    builder.join();
    throw;
  }
  queue.close();
  builder.join();
  if (consume_error) std::rethrow_exception(consume_error);
  return warnings;
}

}  // namespace net
