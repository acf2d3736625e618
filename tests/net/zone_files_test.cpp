// Reading zone files from disk: formats, $INCLUDE resolution and the errors an operator sees.

#include "net/zone_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

#include "dns/zone_error.h"
#include "net/error.h"

namespace net {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed afterwards.
class ZoneFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("net-zone-files-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }
  fs::path dir_;
};

constexpr const char* kMasterZone =
    "$ORIGIN a.test.\n"
    "@ 300 IN SOA ns1 host 1 3600 600 86400 60\n"
    "  IN NS ns1\n"
    "ns1 IN A 192.0.2.1\n";

TEST_F(ZoneFilesTest, ReadsMasterAndPrototypeFilesInOrder) {
  auto master = write("a.zone", kMasterZone);
  auto prototype = write("b.txt",
                         "# prototype format\n"
                         "b.test  SOA  [\"ns1.b.test\", \"dns.b.test\"]\n"
                         "b.test  A    1.2.3.4\n");
  auto contents = read_zone_files({master, prototype}, 1234);
  ASSERT_EQ(contents.records.size(), 5u);
  EXPECT_EQ(contents.records[0].owner.to_text(), "a.test.");
  EXPECT_EQ(contents.records[0].ttl, 300u);
  EXPECT_EQ(contents.records[4].owner.to_text(), "b.test.");
  EXPECT_EQ(contents.records[4].ttl, 1234u);  // prototype records take the default TTL
}

TEST_F(ZoneFilesTest, IncludeIsRelativeToTheIncludingFile) {
  write("sub/extra.inc", "www IN A 192.0.2.80\n");
  auto master = write("sub/a.zone", std::string(kMasterZone) + "$INCLUDE extra.inc\n");
  auto contents = read_zone_files({master});
  ASSERT_EQ(contents.records.size(), 4u);
  EXPECT_EQ(contents.records[3].owner.to_text(), "www.a.test.");
}

TEST_F(ZoneFilesTest, MissingIncludeIsAZoneErrorAtTheIncludeLine) {
  auto master = write("a.zone", std::string(kMasterZone) + "$INCLUDE missing.inc\n");
  try {
    read_zone_files({master});
    FAIL() << "missing include accepted";
  } catch (const dns::ZoneError& e) {
    EXPECT_EQ(e.file, master);
    EXPECT_EQ(e.line, 5u);
  }
}

TEST_F(ZoneFilesTest, BadRecordNamesFileAndLine) {
  auto master = write("bad.zone", std::string(kMasterZone) + "www IN A 999.0.0.1\n");
  try {
    read_zone_files({master});
    FAIL() << "bad address accepted";
  } catch (const dns::ZoneError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(master + ":5: ", 0), 0u) << e.what();
  }
}

TEST_F(ZoneFilesTest, UnreadableFileIsAClearError) {
  std::string missing = (dir_ / "nope.zone").string();
  try {
    read_zone_files({missing});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + missing + ": no such file or directory");
  }
  try {
    read_zone_files({dir_.string()});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + dir_.string() + ": is a directory");
  }
}

TEST_F(ZoneFilesTest, ParserWarningsCarryFileAndLine) {
  auto master = write("w.zone", std::string(kMasterZone) +
                                    "alias IN CNAME ns1\n"
                                    "alias IN TXT \"beside a CNAME\"\n");
  auto contents = read_zone_files({master});
  ASSERT_FALSE(contents.warnings.empty());
  EXPECT_EQ(contents.warnings[0].rfind(master + ":", 0), 0u) << contents.warnings[0];
}

// The records stream_zone_files() hands over, in order.
std::vector<dns::Record> streamed(const std::vector<std::string>& paths,
                                  std::vector<std::string>* warnings = nullptr) {
  std::vector<dns::Record> records;
  auto said = stream_zone_files(paths, 1234, [&](dns::RecordBatch batch) {
    records.insert(records.end(), batch->begin(), batch->end());
  });
  if (warnings) *warnings = said;
  return records;
}

TEST_F(ZoneFilesTest, StreamingGivesWhatReadingWholeGives) {
  std::string big = kMasterZone;
  for (int i = 0; i < 20000; ++i)
    big.append("h").append(std::to_string(i)).append(" IN A 10.0.0.1\n");
  big += "alias IN CNAME ns1\nalias IN TXT \"beside a CNAME\"\n";
  const std::vector<std::string> paths = {
      write("big.zone", big),
      write("b.txt", "b.test  SOA  [\"ns1.b.test\", \"dns.b.test\"]\nb.test  A    1.2.3.4\n")};
  const ZoneFileContents whole = read_zone_files(paths, 1234);
  std::vector<std::string> warnings;
  EXPECT_EQ(streamed(paths, &warnings), whole.records);
  EXPECT_EQ(warnings, whole.warnings);
  EXPECT_EQ(whole.records.size(), 3u + 20000u + 2u + 2u);
}

TEST_F(ZoneFilesTest, StreamingStopsAtTheFirstBadFileWithItsError) {
  const std::vector<std::string> paths = {write("a.zone", kMasterZone),
                                          write("bad.zone", "$ORIGIN b.test.\nwww IN A nope\n"),
                                          write("c.zone", kMasterZone)};
  try {
    streamed(paths);
    FAIL() << "no error";
  } catch (const dns::ZoneError& e) {
    EXPECT_NE(std::string(e.what()).find(paths[1] + ":2:"), std::string::npos) << e.what();
  }
  try {
    streamed({(dir_ / "nope.zone").string()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
}

TEST_F(ZoneFilesTest, StreamingPassesOnTheConsumersErrorAndStopsParsing) {
  std::string big = kMasterZone;
  for (int i = 0; i < 50000; ++i)
    big.append("h").append(std::to_string(i)).append(" IN A 10.0.0.1\n");
  const std::string path = write("big.zone", big);
  int calls = 0;
  try {
    stream_zone_files({path, path, path}, 3600, [&](dns::RecordBatch) {
      ++calls;
      throw std::runtime_error("building failed");
    });
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "building failed");
  }
  EXPECT_EQ(calls, 1);
}

TEST_F(ZoneFilesTest, ReadsFilesThatReportNoSize) {
  // /proc files say size 0; the reader must not trust that.
  EXPECT_FALSE(read_text_file("/proc/self/status").empty());
}

}  // namespace
}  // namespace net
