#include "net/file_disk.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "net/error.h"
#include "tests/net/temp_dir.h"

namespace net {
namespace {

using testing::TempDir;

engine::Bytes bytes(std::string_view text) {
  return engine::Bytes(text.begin(), text.end());
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(FileDisk, ReadOfMissingFileIsNullopt) {
  TempDir dir;
  FileDisk disk(dir.path());
  EXPECT_EQ(disk.read("raft.log"), std::nullopt);
}

TEST(FileDisk, CreatesMissingDirectory) {
  TempDir dir;
  FileDisk disk(dir / "a" / "b");
  disk.append("x", bytes("1"));
  EXPECT_EQ(disk.read("x"), bytes("1"));
}

TEST(FileDisk, AppendsAndReadsBack) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.append("raft.log", bytes("hello "));
  disk.append("raft.log", bytes("world"));
  disk.append("raft.log", {});
  EXPECT_EQ(disk.read("raft.log"), bytes("hello world"));
}

TEST(FileDisk, ZeroAheadAppendsGoIntoZerosWrittenAheadOfThem) {
  TempDir dir;
  const auto path = dir / "raft.log";
  {
    FileDisk disk(dir.path());
    disk.zero_ahead("raft.log");
    disk.append("raft.log", bytes("hello "));
    disk.append("raft.log", bytes("world"));
    disk.sync("raft.log");
    engine::Bytes expected = bytes("hello world");
    expected.resize(FileDisk::kZeroAhead, 0);
    EXPECT_EQ(disk.read("raft.log"), expected);
    // An append past the zeros writes the next chunk of them.
    const engine::Bytes big(FileDisk::kZeroAhead, 7);
    disk.append("raft.log", big);
    EXPECT_EQ(std::filesystem::file_size(path), 2 * FileDisk::kZeroAhead);
    // The reader cuts the zeros; appends go on from the new end, zeros again ahead of them.
    disk.truncate("raft.log", 11 + big.size());
    EXPECT_EQ(std::filesystem::file_size(path), 11 + big.size());
    disk.append("raft.log", bytes("!"));
    const engine::Bytes file = *disk.read("raft.log");
    EXPECT_EQ(file.size(), 2 * FileDisk::kZeroAhead);
    EXPECT_EQ(file[11 + big.size()], '!');
    EXPECT_EQ(file.back(), 0);
  }
  // A new instance appends after whatever the file holds (the reader cuts the zeros first).
  FileDisk disk(dir.path());
  disk.zero_ahead("raft.log");
  disk.append("raft.log", bytes("?"));
  EXPECT_EQ(std::filesystem::file_size(path), 3 * FileDisk::kZeroAhead);
  EXPECT_EQ((*disk.read("raft.log"))[2 * FileDisk::kZeroAhead], '?');
}

TEST(FileDisk, ZeroAheadGivenAgainKeepsAppendingWhereTheDataEnds) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.zero_ahead("raft.log");
  disk.append("raft.log", bytes("ab"));
  disk.zero_ahead("raft.log");  // a second RaftLogStore on the same disk
  disk.append("raft.log", bytes("cd"));
  engine::Bytes expected = bytes("abcd");
  expected.resize(FileDisk::kZeroAhead, 0);
  EXPECT_EQ(disk.read("raft.log"), expected);
}

TEST(FileDisk, ZeroAheadFileReplacedStartsOverAndOthersAreNotZeroed) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.zero_ahead("raft.log");
  disk.append("raft.log", bytes("old"));
  disk.replace("raft.log", bytes("new"));
  EXPECT_EQ(disk.read("raft.log"), bytes("new"));
  disk.append("raft.log", bytes("er"));
  engine::Bytes expected = bytes("newer");
  expected.resize(FileDisk::kZeroAhead, 0);
  EXPECT_EQ(disk.read("raft.log"), expected);
  disk.append("store.wal", bytes("wal"));
  EXPECT_EQ(disk.read("store.wal"), bytes("wal"));
}

TEST(FileDisk, DataSurvivesANewInstance) {
  TempDir dir;
  {
    FileDisk disk(dir.path());
    disk.append("wal", bytes("abc"));
    disk.sync("wal");
    disk.replace("snap", bytes("xyz"));
  }
  FileDisk disk(dir.path());
  EXPECT_EQ(disk.read("wal"), bytes("abc"));
  EXPECT_EQ(disk.read("snap"), bytes("xyz"));
}

TEST(FileDisk, TruncateShrinksAndLaterAppendsGoToTheNewEnd) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.append("wal", bytes("0123456789"));
  disk.truncate("wal", 4);
  EXPECT_EQ(disk.read("wal"), bytes("0123"));
  disk.append("wal", bytes("ab"));
  EXPECT_EQ(disk.read("wal"), bytes("0123ab"));
}

TEST(FileDisk, TruncateToALargerSizeOrOfAMissingFileChangesNothing) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.append("wal", bytes("0123"));
  disk.truncate("wal", 100);
  EXPECT_EQ(disk.read("wal"), bytes("0123"));
  disk.truncate("missing", 0);
  EXPECT_EQ(disk.read("missing"), std::nullopt);
}

TEST(FileDisk, ReplaceSwapsTheWholeFileAndLeavesNoTemporaryFile) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.replace("hs", bytes("first"));
  disk.replace("hs", bytes("2nd"));
  EXPECT_EQ(disk.read("hs"), bytes("2nd"));
  std::vector<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    on_disk.push_back(entry.path().filename().string());
  EXPECT_EQ(on_disk, std::vector<std::string>{"hs"});
}

TEST(FileDisk, AppendAfterReplaceExtendsTheNewContent) {
  // An append descriptor opened before replace() must not keep writing to the old inode.
  TempDir dir;
  FileDisk disk(dir.path());
  disk.append("f", bytes("old"));
  disk.replace("f", bytes("new"));
  disk.append("f", bytes("+"));
  EXPECT_EQ(disk.read("f"), bytes("new+"));
}

TEST(FileDisk, ReadRangeWriteAtAndRenameWorkOnPiecesOfAFile) {
  TempDir dir;
  FileDisk disk(dir.path());
  EXPECT_EQ(disk.read_range("f", 0, 4), std::nullopt);
  disk.append("f", bytes("0123456789"));
  EXPECT_EQ(disk.read_range("f", 3, 4), bytes("3456"));
  EXPECT_EQ(disk.read_range("f", 8, 100), bytes("89"));  // short at the end
  EXPECT_EQ(disk.read_range("f", 20, 5), bytes(""));
  // write_at through its own descriptor, though the append one (O_APPEND) is open.
  disk.write_at("f", 0, bytes("ab"));
  disk.write_at("f", 9, bytes("XYZ"));  // runs past the end: extends
  disk.append("f", bytes("+"));
  disk.sync("f");
  EXPECT_EQ(disk.read("f"), bytes("ab2345678XYZ+"));
  disk.replace("g", bytes("old"));
  disk.rename("f", "g");
  EXPECT_EQ(disk.read("f"), std::nullopt);
  EXPECT_EQ(disk.read("g"), bytes("ab2345678XYZ+"));
  disk.append("g", bytes("!"));  // no stale append descriptor on the old inode
  EXPECT_EQ(FileDisk(dir.path()).read("g"), bytes("ab2345678XYZ+!"));
  EXPECT_THROW(disk.rename("missing", "h"), engine::DiskError);
}

TEST(FileDisk, RemoveDeletesAndAMissingFileIsNotAnError) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.append("f", bytes("data"));
  disk.remove("f");
  EXPECT_EQ(disk.read("f"), std::nullopt);
  EXPECT_NO_THROW(disk.remove("f"));
  disk.append("f", bytes("again"));
  EXPECT_EQ(disk.read("f"), bytes("again"));
}

TEST(FileDisk, SyncOfAMissingFileIsNotAnError) {
  TempDir dir;
  FileDisk disk(dir.path());
  EXPECT_NO_THROW(disk.sync("missing"));
  disk.append("f", bytes("x"));
  EXPECT_NO_THROW(disk.sync("f"));
}

TEST(FileDisk, ListShowsRegularFilesSortedButNotHiddenOnesOrDirectories) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.append("b", bytes("1"));
  disk.replace("a", bytes("2"));
  disk.append("c", bytes("3"));
  std::filesystem::create_directory(dir / "subdir");
  write_file(dir / ".hidden", "x");
  EXPECT_EQ(disk.list(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(FileDisk, LeftoverTemporaryFileOfAnInterruptedReplaceIsRemoved) {
  TempDir dir;
  write_file(dir / "store.snap", "old");
  write_file(dir / ".store.snap.tmp", "half-written new");
  FileDisk disk(dir.path());
  EXPECT_EQ(disk.read("store.snap"), bytes("old"));
  EXPECT_FALSE(std::filesystem::exists(dir / ".store.snap.tmp"));
}

TEST(FileDisk, RejectsNamesThatAreNotPlainFileNames) {
  TempDir dir;
  FileDisk disk(dir.path());
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", "/etc/passwd",
                                                         "../escape", std::string("a\0b", 3)}) {
    EXPECT_THROW(disk.read(bad), std::invalid_argument) << bad;
    EXPECT_THROW(disk.append(bad, bytes("x")), std::invalid_argument) << bad;
    EXPECT_THROW(disk.truncate(bad, 0), std::invalid_argument) << bad;
    EXPECT_THROW(disk.sync(bad), std::invalid_argument) << bad;
    EXPECT_THROW(disk.replace(bad, bytes("x")), std::invalid_argument) << bad;
    EXPECT_THROW(disk.remove(bad), std::invalid_argument) << bad;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path().parent_path() / "escape"));
}

TEST(FileDisk, IoErrorsNameThePathAndTheReason) {
  TempDir dir;
  FileDisk disk(dir.path());
  std::filesystem::create_directory(dir / "sub");
  const std::string path = (dir / "sub").string();
  const std::pair<std::string, std::function<void()>> attempts[] = {
      {"read", [&] { disk.read("sub"); }},  // a directory opens for reading, then read() fails
      {"open", [&] { disk.append("sub", bytes("x")); }}};
  for (const auto& [operation, attempt] : attempts) {
    try {
      attempt();
      ADD_FAILURE() << "no error";
    } catch (const engine::DiskError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("Is a directory"), std::string::npos) << e.what();
      EXPECT_EQ(e.code(), "EISDIR");
      EXPECT_EQ(e.operation(), operation);
      EXPECT_EQ(e.file(), "sub");
      EXPECT_TRUE(e.retry_safe());
    }
  }
}

TEST(FileDisk, DirectoryRemovedUnderneathGivesErrorsNotACrash) {
  TempDir dir;
  FileDisk disk(dir / "gone");
  disk.append("kept-open", engine::Bytes{1});
  std::filesystem::remove_all(dir / "gone");
  EXPECT_EQ(disk.read("new"), std::nullopt);
  EXPECT_THROW(disk.append("new", bytes("x")), engine::DiskError);
  EXPECT_THROW(disk.replace("new", bytes("x")), engine::DiskError);
  EXPECT_NO_THROW(disk.append("kept-open", bytes("x")));  // the open file is merely unlinked
  try {
    disk.list();
    ADD_FAILURE() << "no error";
  } catch (const engine::DiskError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "gone").string()), std::string::npos) << e.what();
  }
}

// Files may grow to `bytes` while it lives (RLIMIT_FSIZE): a write across the limit takes part of
// its data, the next fails with EFBIG, as a filling disk does with ENOSPC.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of being killed
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limited = old_;
    limited.rlim_cur = bytes;
    if (::setrlimit(RLIMIT_FSIZE, &limited) != 0) throw std::runtime_error("setrlimit failed");
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

std::vector<std::string> every_file(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FileDisk, ZeroAheadWithoutRoomForTheZerosStillAppendsAndAFailedAppendIsUndone) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.zero_ahead("raft.log");
  {
    FileSizeLimit limit(150);
    // No room for a chunk of zeros: the data goes in as a plain append would.
    disk.append("raft.log", engine::Bytes(100, 1));
    EXPECT_EQ(disk.read("raft.log"), engine::Bytes(100, 1));
    try {
      disk.append("raft.log", engine::Bytes(100, 2));  // 50 bytes fit
      ADD_FAILURE() << "no error";
    } catch (const engine::DiskError& e) {
      EXPECT_EQ(e.code(), "EFBIG");
      EXPECT_TRUE(e.retry_safe()) << "the partial write was not undone";
    }
    EXPECT_EQ(disk.read("raft.log"), engine::Bytes(100, 1));
  }
  // With room again, the same append is made, and zeros follow it.
  disk.append("raft.log", engine::Bytes(100, 2));
  engine::Bytes expected(100, 1);
  expected.resize(200, 2);
  expected.resize(FileDisk::kZeroAhead, 0);
  EXPECT_EQ(disk.read("raft.log"), expected);
}

TEST(FileDisk, AppendThatFailsPartwayIsCutBackSoItCanBeMadeAgain) {
  TempDir dir;
  FileDisk disk(dir.path());
  disk.append("wal", engine::Bytes(100, 1));
  {
    FileSizeLimit limit(150);
    try {
      disk.append("wal", engine::Bytes(100, 2));  // 50 bytes fit
      ADD_FAILURE() << "no error";
    } catch (const engine::DiskError& e) {
      EXPECT_EQ(e.code(), "EFBIG");
      EXPECT_EQ(e.operation(), "write");
      EXPECT_EQ(e.file(), "wal");
      EXPECT_TRUE(e.retry_safe()) << "the partial write was not cut back";
      EXPECT_EQ(std::string(e.what()),
                fmt::format("cannot write {}: File too large", (dir / "wal").string()));
    }
    EXPECT_EQ(disk.read("wal"), engine::Bytes(100, 1));
    // A replace that does not fit leaves the old file and no temporary file.
    try {
      disk.replace("wal", engine::Bytes(200, 3));
      ADD_FAILURE() << "no error";
    } catch (const engine::DiskError& e) {
      EXPECT_EQ(e.code(), "EFBIG");
      EXPECT_TRUE(e.retry_safe());
    }
    EXPECT_EQ(disk.read("wal"), engine::Bytes(100, 1));
    EXPECT_EQ(every_file(dir.path()), std::vector<std::string>{"wal"});
  }
  disk.append("wal", engine::Bytes(100, 2));
  disk.sync("wal");
  engine::Bytes expected(100, 1);
  expected.resize(200, 2);
  EXPECT_EQ(disk.read("wal"), expected);
}

TEST(FileDisk, WriteToAFullDeviceIsENOSPCAndNotRetrySafeWhenItCannotBeCutBack) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this machine";
  TempDir dir;
  FileDisk disk(dir.path());
  std::filesystem::create_symlink("/dev/full", dir / "full");
  try {
    disk.append("full", bytes("record"));
    ADD_FAILURE() << "no error";
  } catch (const engine::DiskError& e) {
    EXPECT_EQ(e.code(), "ENOSPC");
    EXPECT_EQ(e.operation(), "write");
    EXPECT_FALSE(e.retry_safe()) << "a device cannot be truncated back";
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos);
  }
}

// Any sequence of operations leaves the files as an in-memory model says it should.
RC_GTEST_PROP(FileDisk, BehavesLikeAMapOfByteStrings, ()) {
  TempDir dir;
  FileDisk disk(dir.path());
  std::map<std::string, engine::Bytes> model;
  const auto steps = *rc::gen::inRange(1, 25);
  for (int step = 0; step < steps; ++step) {
    const std::string name = *rc::gen::element<std::string>("wal", "snap", "hs");
    const auto data = *rc::gen::container<engine::Bytes>(*rc::gen::inRange<std::size_t>(0, 64),
                                                         rc::gen::arbitrary<std::uint8_t>());
    switch (*rc::gen::inRange(0, 5)) {
      case 0:
        disk.append(name, data);
        model[name].insert(model[name].end(), data.begin(), data.end());
        break;
      case 1: {
        const auto size = *rc::gen::inRange<std::uint64_t>(0, 80);
        disk.truncate(name, size);
        if (auto it = model.find(name); it != model.end() && it->second.size() > size)
          it->second.resize(size);
        break;
      }
      case 2:
        disk.replace(name, data);
        model[name] = data;
        break;
      case 3:
        disk.remove(name);
        model.erase(name);
        break;
      case 4:
        disk.sync(name);
        break;
    }
    std::vector<std::string> names;
    for (const auto& [model_name, content] : model) {
      names.push_back(model_name);
      RC_ASSERT(disk.read(model_name) == std::optional(content));
    }
    RC_ASSERT(disk.list() == names);
  }
}

}  // namespace
}  // namespace net
