// The cluster key file: its format, --gen-key's writer, and the config's cluster_key_file field.

#include "net/peer_key.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "net/cluster_config.h"
#include "tests/net/temp_dir.h"

namespace net {
namespace {

// 32 bytes 0x00..0x1f in base64.
constexpr const char* kKey32 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
// 16 bytes: too short.
constexpr const char* kKey16 = "AAECAwQFBgcICQoLDA0ODw==";

std::string parse_error(const std::string& text) {
  try {
    ClusterKey::parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ClusterKey, ParsesOneLineOfBase64) {
  for (std::string text :
       {std::string(kKey32), std::string(kKey32) + "\n", std::string(kKey32) + "\r\n"}) {
    ClusterKey key = ClusterKey::parse(text);
    ASSERT_EQ(key.bytes().size(), 32u);
    for (std::size_t i = 0; i < 32; ++i) EXPECT_EQ(key.bytes()[i], i);
    EXPECT_EQ(key.to_base64(), kKey32);
  }
  // Longer keys are fine; padding is honoured.
  EXPECT_EQ(ClusterKey::parse(std::string(64, 'A')).bytes().size(), 48u);
  EXPECT_EQ(ClusterKey::parse(std::string(46, 'B') + "==").bytes().size(), 34u);
}

TEST(ClusterKey, BadTextSaysWhatIsWrongWithoutQuotingIt) {
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  EXPECT_NE(parse_error("\n").find("empty"), std::string::npos);
  EXPECT_NE(parse_error(kKey16).find("the key is 16 bytes; at least 32 are needed"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kKey32) + "\n" + kKey32).find("more than one line"),
            std::string::npos);
  const std::string with_space = std::string("AAEC AwQF") + (kKey32 + 9);
  EXPECT_NE(parse_error(with_space).find("not base64 (character 5 of the line)"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(kKey32).substr(1)).find("not base64"), std::string::npos);
  EXPECT_NE(parse_error(std::string(41, 'A') + "===").find("not base64"), std::string::npos);
  EXPECT_NE(parse_error(std::string(42, 'A') + "=A").find("not base64"), std::string::npos);
  EXPECT_EQ(parse_error(kKey32), "");
  for (const char* bad : {"", "AAEC AwQF", kKey16})
    EXPECT_EQ(parse_error(bad).find("AAEC"), std::string::npos) << "quoted the key";
}

TEST(ClusterKey, GeneratedKeysAreFreshAndRoundTrip) {
  const ClusterKey a = ClusterKey::generate(), b = ClusterKey::generate();
  EXPECT_EQ(a.bytes().size(), kGeneratedClusterKeySize);
  EXPECT_NE(a.to_base64(), b.to_base64());
  EXPECT_EQ(ClusterKey::parse(a.to_base64()).to_base64(), a.to_base64());
}

TEST(ClusterKeyFile, GenKeyWritesMode0600AndNeverOverwrites) {
  testing::TempDir dir;
  const auto path = dir / "cluster.key";
  write_new_cluster_key_file(path);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::vector<std::string> warnings;
  const ClusterKey key = read_cluster_key_file(path, &warnings);
  EXPECT_EQ(key.bytes().size(), kGeneratedClusterKeySize);
  EXPECT_TRUE(warnings.empty());
  const std::string before = key.to_base64();
  try {
    write_new_cluster_key_file(path);
    FAIL() << "overwrote a key";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_cluster_key_file(path).to_base64(), before);
  EXPECT_THROW(write_new_cluster_key_file(dir / "no-such-dir" / "k"), Error);
}

TEST(ClusterKeyFile, ReadableByOthersIsAWarning) {
  testing::TempDir dir;
  const auto path = dir / "cluster.key";
  std::ofstream(path) << kKey32 << "\n";
  ::chmod(path.c_str(), 0644);
  std::vector<std::string> warnings;
  read_cluster_key_file(path, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("readable by other users (mode 0644"), std::string::npos)
      << warnings[0];
}

// A config naming a key file, in a temp dir with the key beside it.
class ClusterKeyConfig : public ::testing::Test {
 protected:
  std::string config_with(const std::string& key_field) {
    return R"({"cluster_key_file": )" + key_field + R"(,
      "nodes": {"0": {"raft_loc": "127.0.0.1:4321", "query_loc": "127.0.0.1:10053"}}})";
  }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    ::chmod((dir_ / name).c_str(), 0600);
    return dir_ / name;
  }
  std::string error_of(const std::string& config_text) {
    const auto config = write("dns-config.json", config_text);
    try {
      load_cluster_config(config.string());
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  testing::TempDir dir_;
};

TEST_F(ClusterKeyConfig, KeyFileRelativeToTheConfigIsLoaded) {
  write("cluster.key", std::string(kKey32) + "\n");
  const auto path = write("dns-config.json", config_with(R"("cluster.key")"));
  const ClusterConfig config = load_cluster_config(path.string());
  ASSERT_NE(config.cluster_key, nullptr);
  EXPECT_EQ(config.cluster_key->to_base64(), kKey32);
  EXPECT_EQ(config.cluster_key_file, dir_ / "cluster.key");
  EXPECT_TRUE(config.warnings.empty());
}

TEST_F(ClusterKeyConfig, WithoutTheFieldThereIsNoKey) {
  const auto path =
      write("dns-config.json",
            R"({"nodes": {"0": {"raft_loc": "127.0.0.1:4321", "query_loc": "127.0.0.1:10053"}}})");
  const ClusterConfig config = load_cluster_config(path.string());
  EXPECT_EQ(config.cluster_key, nullptr);
  EXPECT_TRUE(config.cluster_key_file.empty());
}

TEST_F(ClusterKeyConfig, BadKeyFilesAreConfigErrorsNamingFieldAndFile) {
  const std::string config = (dir_ / "dns-config.json").string();
  const std::string key = (dir_ / "cluster.key").string();
  EXPECT_EQ(error_of(config_with(R"("missing.key")")),
            fmt::format("{}: cluster_key_file: {}: cannot read the cluster key: No such file or "
                        "directory",
                        config, (dir_ / "missing.key").string()));
  write("cluster.key", kKey16);
  EXPECT_EQ(error_of(config_with(R"("cluster.key")")),
            fmt::format("{}: cluster_key_file: {}: the key is 16 bytes; at least 32 are needed "
                        "(dns-node --gen-key FILE writes one)",
                        config, key));
  write("cluster.key", "not a key at all\n");
  EXPECT_NE(error_of(config_with(R"("cluster.key")")).find(key + ": not base64"),
            std::string::npos);
  EXPECT_EQ(error_of(config_with("42")),
            config + ": cluster_key_file: expected a file name, got 42");
  EXPECT_EQ(error_of(config_with(R"("")")),
            config + ": cluster_key_file: expected a file name, got \"\"");
}

TEST_F(ClusterKeyConfig, KeyReadableByOthersIsAConfigWarning) {
  write("cluster.key", kKey32);
  ::chmod((dir_ / "cluster.key").c_str(), 0640);
  const auto path = write("dns-config.json", config_with(R"("cluster.key")"));
  const ClusterConfig config = load_cluster_config(path.string());
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("cluster_key_file: " + (dir_ / "cluster.key").string() +
                                    ": the cluster key is readable by other users"),
            std::string::npos)
      << config.warnings[0];
}

}  // namespace
}  // namespace net
