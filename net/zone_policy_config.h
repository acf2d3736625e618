#pragma once
// The "keys" and "zones" fields of the cluster config: TSIG keys and, per zone, who may UPDATE
// it, who may transfer it and whom to NOTIFY. The same file is read by every node, so every
// node applies the same policy.
//
//   "keys": {
//     "ddns-key": {"algorithm": "hmac-sha256", "secret": "<base64>"},   // or "secret_file"
//   },
//   "zones": {
//     "example.com": {"allow_update": ["ddns-key"],
//                     "allow_transfer": ["ddns-key", "127.0.0.0/8"],
//                     "notify": ["127.0.0.1:5399"], "notify_key": "ddns-key"}
//   }
//
// keys.NAME.algorithm    hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or
//                        hmac-sha512 (as `tsig-keygen -a` and `keymgr` name them).
// keys.NAME.secret       the key in base64 (what `tsig-keygen` prints between the quotes).
// keys.NAME.secret_file  instead of secret: a file holding that base64 text (relative to the
//                        config file's directory), so the config can be shared without it.
// zones.ZONE.allow_update    key names; a signed UPDATE with one of them may change the zone.
// zones.ZONE.allow_transfer  key names and address prefixes ("127.0.0.0/8", "::1/128").
// zones.ZONE.notify          "ip:port" targets told when the zone's serial changes.
// zones.ZONE.notify_key      a key name: every NOTIFY of the zone is TSIG-signed with it, and a
//                            NOERROR reply counts only when signed with it too.
// A zone not listed (or with an empty allow_update) refuses UPDATE. Every error is a ConfigError
// naming the field ("dns-config.json: keys.ddns-key.secret: not base64").

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <nlohmann/json_fwd.hpp>

#include "dns/name.h"
#include "dns/tsig.h"
#include "net/listen_address.h"

namespace net {

// An address prefix of allow_transfer: the address with its host bits, and the prefix length.
struct AddressPrefix {
  boost::asio::ip::address address;
  unsigned length = 0;
  bool contains(const boost::asio::ip::address& a) const;
};

// What may be done to one zone.
struct ZonePolicy {
  dns::Name zone;
  std::vector<dns::Name> allow_update;       // key names
  std::vector<dns::Name> transfer_keys;      // allow_transfer's key names
  std::vector<AddressPrefix> transfer_from;  // allow_transfer's prefixes
  std::vector<ListenAddress> notify;
  std::optional<dns::Name> notify_key;  // sign NOTIFYs with this key
  bool may_update(const dns::Name& key) const;
};

// Every key and zone policy of the config.
struct ZonePolicyConfig {
  std::vector<dns::tsig::Key> keys;
  std::vector<ZonePolicy> zones;
  // The key with this name (case-insensitive), or null.
  const dns::tsig::Key* key(const dns::Name& name) const;
  // The policy of exactly this zone, or null (not listed: no UPDATE, no transfer).
  const ZonePolicy* zone(const dns::Name& apex) const;
};

// Reads "keys" and "zones" of the config document (either may be absent). `path` names the
// file in errors; `config_dir` anchors secret_file. Throws ConfigError naming the field.
ZonePolicyConfig parse_zone_policy(const nlohmann::json& document, const std::string& path,
                                   const std::filesystem::path& config_dir,
                                   std::vector<std::string>& warnings);

}  // namespace net
