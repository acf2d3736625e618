#include "net/data_dir_lock.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "net/error.h"
#include "tests/net/temp_dir.h"

namespace net {
namespace {

using testing::TempDir;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string in_use_message(const std::filesystem::path& dir, pid_t pid) {
  return fmt::format("data directory {} is in use by another dns-node (pid {})", dir.string(), pid);
}

// Runs `body` in a forked child and returns what it wrote to the pipe (at most 4 KiB).
template <typename Body>
std::string in_child(Body body) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string result = body();
    (void)!::write(fds[1], result.data(), result.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) output.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return output;
}

// What taking the lock on `dir` in this process says: "locked" or the error message.
std::string try_lock(const std::filesystem::path& dir) {
  try {
    DataDirLock lock(dir);
    return "locked";
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(DataDirLock, CreatesTheDirectoryAndRecordsThePid) {
  TempDir tmp;
  const auto dir = tmp / "data" / "node-0";
  DataDirLock lock(dir);
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_EQ(read_all(dir / "LOCK"), fmt::format("{}\n", ::getpid()));
}

TEST(DataDirLock, ASecondProcessIsRefusedWithTheHoldersPid) {
  TempDir tmp;
  const auto dir = tmp / "node-1";
  DataDirLock lock(dir);
  EXPECT_EQ(in_child([&] { return try_lock(dir); }), in_use_message(dir, ::getpid()));
}

TEST(DataDirLock, ASecondLockInTheSameProcessIsRefusedToo) {
  TempDir tmp;
  DataDirLock lock(tmp.path());
  EXPECT_EQ(try_lock(tmp.path()), in_use_message(tmp.path(), ::getpid()));
}

TEST(DataDirLock, ReleasedOnDestruction) {
  TempDir tmp;
  { DataDirLock lock(tmp.path()); }
  EXPECT_EQ(in_child([&] { return try_lock(tmp.path()); }), "locked");
}

TEST(DataDirLock, AMovedLockIsStillHeld) {
  TempDir tmp;
  std::optional<DataDirLock> holder;
  {
    DataDirLock lock(tmp.path());
    holder.emplace(std::move(lock));
  }
  EXPECT_EQ(try_lock(tmp.path()), in_use_message(tmp.path(), ::getpid()));
  holder.reset();
  EXPECT_EQ(try_lock(tmp.path()), "locked");
}

TEST(DataDirLock, AKilledHolderLeavesNoStaleLock) {
  TempDir tmp;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    DataDirLock lock(tmp.path());
    (void)!::write(ready[1], "x", 1);
    for (int i = 0; i < 600; ++i) ::sleep(1);  // bounded: killed long before
    ::_exit(1);
  }
  ::close(ready[1]);
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "child could not take the lock";
  ::close(ready[0]);
  EXPECT_EQ(try_lock(tmp.path()), in_use_message(tmp.path(), child));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(try_lock(tmp.path()), "locked");
}

TEST(DataDirLock, UncreatableDirectoryNamesThePath) {
  TempDir tmp;
  std::ofstream(tmp / "file") << "x";
  const std::string message = try_lock(tmp / "file" / "node-0");
  EXPECT_NE(message.find("cannot create data directory " + (tmp / "file" / "node-0").string()),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace net
