// Reading zone files from disk: formats, $INCLUDE resolution and the errors an operator sees.

#include "net/zone_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace net
