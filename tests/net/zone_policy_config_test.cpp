// The "keys" and "zones" fields of the cluster config (net/zone_policy_config.h): TSIG keys from
// inline secrets or files, per-zone rules, and errors that name the field.
#include "net/zone_policy_config.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "net/cluster_config.h"
#include "tests/net/config_text.h"
#include "tests/net/temp_dir.h"

namespace net {
namespace {

constexpr const char* kSecret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// A valid config with `extra` (top-level fields, no trailing comma) spliced in.
std::string config(const std::string& extra) {
  return test::two_node_config(extra + ",");
}

std::string error_of(const std::string& extra) {
  return test::config_error(config(extra));
}

std::string keys(const std::string& body) {
  return R"("keys": {)" + body + "}";
}

TEST(ZonePolicyConfig, ThePrototypeConfigHasNoKeysAndNoZones) {
  const ClusterConfig c = parse_cluster_config(
      R"({"nodes": {"0": {"raft_loc": "127.0.0.1:4321", "query_loc": "127.0.0.1:10053"}}})",
      "dns-config.json");
  ASSERT_NE(c.policy, nullptr);
  EXPECT_TRUE(c.policy->keys.empty());
  EXPECT_TRUE(c.policy->zones.empty());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ZonePolicyConfig, KeysAndZonesAreRead) {
  const ClusterConfig c = parse_cluster_config(
      config(keys(std::string(R"("ddns-key": {"algorithm": "hmac-sha256", "secret": ")") + kSecret +
                  R"("}, "old": {"algorithm": "HMAC-MD5", "secret": "AAECAw=="})") +
             R"(, "zones": {"example.com": {"allow_update": ["ddns-key"],
                   "allow_transfer": ["ddns-key", "127.0.0.0/8", "::1"],
                   "notify": ["127.0.0.1:5399"], "notify_key": "ddns-key"},
                   "other.org.": {}})"),
      "dns-config.json");
  ASSERT_EQ(c.policy->keys.size(), 2u);
  const dns::tsig::Key* key = c.policy->key(dns::Name::from_text("DDNS-KEY."));
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->algorithm, dns::tsig::Algorithm::HmacSha256);
  EXPECT_EQ(key->secret.size(), 32u);
  EXPECT_EQ(c.policy->key(dns::Name::from_text("old."))->algorithm, dns::tsig::Algorithm::HmacMd5);
  const ZonePolicy* zone = c.policy->zone(dns::Name::from_text("Example.COM."));
  ASSERT_NE(zone, nullptr);
  EXPECT_TRUE(zone->may_update(dns::Name::from_text("ddns-key.")));
  EXPECT_FALSE(zone->may_update(dns::Name::from_text("old.")));
  ASSERT_EQ(zone->transfer_from.size(), 2u);
  EXPECT_TRUE(zone->transfer_from[0].contains(boost::asio::ip::make_address("127.8.9.10")));
  EXPECT_FALSE(zone->transfer_from[0].contains(boost::asio::ip::make_address("10.0.0.1")));
  EXPECT_TRUE(zone->transfer_from[1].contains(boost::asio::ip::make_address("::1")));
  EXPECT_EQ(zone->transfer_keys.size(), 1u);
  ASSERT_EQ(zone->notify.size(), 1u);
  EXPECT_EQ(zone->notify[0].port, 5399);
  EXPECT_EQ(zone->notify_key, dns::Name::from_text("ddns-key."));
  EXPECT_FALSE(c.policy->zone(dns::Name::from_text("other.org."))->notify_key.has_value());
  EXPECT_TRUE(c.policy->zone(dns::Name::from_text("other.org."))->allow_update.empty());
  EXPECT_EQ(c.policy->zone(dns::Name::from_text("nowhere.")), nullptr);
}

TEST(ZonePolicyConfig, SecretFileIsReadBesideTheConfig) {
  testing::TempDir dir;
  { std::ofstream(dir.path() / "ddns.secret") << kSecret << "\n"; }
  const std::string path = (dir.path() / "dns-config.json").string();
  const ClusterConfig c = parse_cluster_config(
      config(keys(R"("k": {"algorithm": "hmac-sha512", "secret_file": "ddns.secret"})")), path);
  EXPECT_EQ(c.policy->keys.at(0).secret.size(), 32u);
  try {
    parse_cluster_config(
        config(keys(R"("k": {"algorithm": "hmac-sha512", "secret_file": "missing.secret"})")),
        path);
    ADD_FAILURE() << "no error for a missing secret file";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("keys.k.secret_file"), std::string::npos) << e.what();
  }
}

TEST(ZonePolicyConfig, ErrorsNameTheField) {
  const std::string good_key =
      std::string(R"("k": {"algorithm": "hmac-sha256", "secret": ")") + kSecret + R"("})";
  struct Case {
    std::string extra, expected;
  };
  const Case cases[] = {
      {R"("keys": [])", "dns-config.json: keys: expected an object"},
      {keys(R"("k": {"secret": "AAECAw=="})"), "keys.k: missing field algorithm"},
      {keys(R"("k": {"algorithm": "hmac-sha3", "secret": "AAECAw=="})"),
       "keys.k.algorithm: unknown algorithm 'hmac-sha3'"},
      {keys(R"("k": {"algorithm": "hmac-sha256", "secret": "not base64!"})"),
       "keys.k.secret: not base64"},
      {keys(R"("k": {"algorithm": "hmac-sha256"})"),
       "keys.k: expected exactly one of secret and secret_file"},
      {keys(R"("k": {"algorithm": "hmac-sha256", "secret": 5})"), "keys.k.secret: expected"},
      {keys(good_key) + R"(, "zones": {"example.com": {"allow_update": ["nokey"]}})",
       "zones.example.com.allow_update[0]: no key 'nokey' in keys"},
      {keys(good_key) + R"(, "zones": {"example.com": {"allow_update": "k"}})",
       "zones.example.com.allow_update: expected an array"},
      {keys(good_key) + R"(, "zones": {"example.com": {"allow_transfer": ["10.0.0.0/33"]}})",
       "zones.example.com.allow_transfer[0]: '10.0.0.0/33': prefix length must be 0-32"},
      {keys(good_key) + R"(, "zones": {"example.com": {"notify": ["localhost"]}})",
       "zones.example.com.notify[0]"},
      {keys(good_key) + R"(, "zones": {"example.com": {"notify_key": "nokey"}})",
       "zones.example.com.notify_key: no key 'nokey' in keys"},
      {keys(good_key) + R"(, "zones": {"example.com": {"notify_key": ["k"]}})",
       "zones.example.com.notify_key: expected a key name"},
      {keys(good_key) + R"(, "zones": {"a..b": {}})", "zones.a..b: 'a..b' is not a valid zone"},
      {R"("zones": {"example.com": {}, "EXAMPLE.com.": {}})", "is listed twice"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(c.extra);
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "config " << c.extra << "\n got: " << message << "\n wanted: " << c.expected;
  }
}

TEST(ZonePolicyConfig, UnknownFieldsAreWarnings) {
  const ClusterConfig c = parse_cluster_config(
      config(keys(std::string(R"("k": {"algorithm": "hmac-sha256", "secert": 1, "secret": ")") +
                  kSecret + R"("})") +
             R"(, "zones": {"example.com": {"allow_updates": []}})"),
      "dns-config.json");
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_EQ(c.warnings[0], "dns-config.json: unknown field keys.k.secert");
  EXPECT_EQ(c.warnings[1], "dns-config.json: unknown field zones.example.com.allow_updates");
}

}  // namespace
}  // namespace net
