#include "net/zone_policy_config.h"

#include <charconv>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dns/error.h"
#include "net/cluster_config.h"
#include "net/zone_files.h"

namespace net {
namespace {

using json = nlohmann::json;

const std::set<std::string> kKeyFields = {"algorithm", "secret", "secret_file"};
const std::set<std::string> kZoneFields = {"allow_update", "allow_transfer", "notify",
                                           "notify_key"};

// Errors name the file and the field path, as the rest of the config's do.
class PolicyReader {
 public:
  PolicyReader(const std::string& path, const std::filesystem::path& dir,
               std::vector<std::string>& warnings)
      : path_(path), dir_(dir), warnings_(warnings) {}

  ConfigError error(const std::string& field, const std::string& message) const {
    return ConfigError(fmt::format("{}: {}: {}", path_, field, message));
  }

  const std::string& string(const json& v, const std::string& field, const char* what) const {
    if (!v.is_string()) throw error(field, fmt::format("expected {}, got {}", what, v.dump()));
    return v.get_ref<const std::string&>();
  }

  dns::Name name(const std::string& text, const std::string& field, const char* what) const {
    try {
      std::string t = text;
      if (!t.ends_with('.')) t += '.';
      return dns::Name::from_text(t);
    } catch (const dns::Error& e) {
      throw error(field, fmt::format("'{}' is not a valid {}: {}", text, what, e.what()));
    }
  }

  std::vector<std::string> strings(const json& v, const std::string& field) const {
    if (!v.is_array()) throw error(field, fmt::format("expected an array of strings"));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i)
      out.push_back(string(v[i], fmt::format("{}[{}]", field, i), "a string"));
    return out;
  }

  dns::tsig::Key key(const std::string& key_name, const json& v) const {
    const std::string field = "keys." + key_name;
    if (!v.is_object()) throw error(field, "expected an object with algorithm and secret");
    for (const auto& [k, ignored] : v.items())
      if (!kKeyFields.contains(k))
        warnings_.push_back(fmt::format("{}: unknown field {}.{}", path_, field, k));
    dns::tsig::Key key;
    key.name = name(key_name, field, "key name");
    auto alg = v.find("algorithm");
    if (alg == v.end()) throw error(field, "missing field algorithm (e.g. \"hmac-sha256\")");
    const std::string& alg_text = string(*alg, field + ".algorithm", "an algorithm name");
    const auto algorithm = dns::tsig::algorithm_from_text(alg_text);
    if (!algorithm)
      throw error(field + ".algorithm",
                  fmt::format("unknown algorithm '{}' (hmac-md5, hmac-sha1, hmac-sha224, "
                              "hmac-sha256, hmac-sha384, hmac-sha512)",
                              alg_text));
    key.algorithm = *algorithm;
    auto secret = v.find("secret");
    auto secret_file = v.find("secret_file");
    if ((secret == v.end()) == (secret_file == v.end()))
      throw error(field, "expected exactly one of secret and secret_file");
    std::string text;
    std::string secret_field = field + ".secret";
    if (secret != v.end()) {
      text = string(*secret, secret_field, "base64 text");
    } else {
      secret_field = field + ".secret_file";
      const std::string& file = string(*secret_file, secret_field, "a file name");
      try {
        text = read_text_file((dir_ / file).lexically_normal().string());
      } catch (const std::exception& e) {
        throw error(secret_field, e.what());
      }
    }
    auto bytes = dns::tsig::base64_decode(text);
    if (!bytes) throw error(secret_field, "not base64 (as tsig-keygen prints it)");
    if (bytes->empty()) throw error(secret_field, "an empty secret");
    key.secret = std::move(*bytes);
    return key;
  }

  AddressPrefix prefix(const std::string& text, const std::string& field) const {
    const auto slash = text.find('/');
    AddressPrefix p;
    boost::system::error_code ec;
    p.address = boost::asio::ip::make_address(text.substr(0, slash), ec);
    if (ec)
      throw error(field, fmt::format("'{}' is neither a key name nor an address prefix", text));
    const unsigned max = p.address.is_v4() ? 32 : 128;
    p.length = max;
    if (slash != std::string::npos) {
      const std::string len = text.substr(slash + 1);
      auto [end, err] = std::from_chars(len.data(), len.data() + len.size(), p.length);
      if (len.empty() || err != std::errc() || end != len.data() + len.size() || p.length > max)
        throw error(field, fmt::format("'{}': prefix length must be 0-{}", text, max));
    }
    return p;
  }

  ZonePolicy zone(const std::string& zone_name, const json& v,
                  const std::vector<dns::tsig::Key>& keys) const {
    const std::string field = "zones." + zone_name;
    if (!v.is_object())
      throw error(field, "expected an object (allow_update, allow_transfer, notify)");
    for (const auto& [k, ignored] : v.items())
      if (!kZoneFields.contains(k))
        warnings_.push_back(fmt::format("{}: unknown field {}.{}", path_, field, k));
    ZonePolicy z;
    z.zone = name(zone_name, field, "zone name");
    auto known_key = [&](const std::string& text, const std::string& f) {
      const dns::Name n = name(text, f, "key name");
      for (const auto& k : keys)
        if (k.name == n) return n;
      throw error(f, fmt::format("no key '{}' in keys", text));
    };
    if (auto it = v.find("allow_update"); it != v.end()) {
      const auto list = strings(*it, field + ".allow_update");
      for (std::size_t i = 0; i < list.size(); ++i)
        z.allow_update.push_back(known_key(list[i], fmt::format("{}.allow_update[{}]", field, i)));
    }
    if (auto it = v.find("allow_transfer"); it != v.end()) {
      const auto list = strings(*it, field + ".allow_transfer");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string f = fmt::format("{}.allow_transfer[{}]", field, i);
        const bool looks_like_address =
            list[i].find('/') != std::string::npos || list[i].find(':') != std::string::npos ||
            (!list[i].empty() && std::isdigit(static_cast<unsigned char>(list[i][0])));
        if (looks_like_address)
          z.transfer_from.push_back(prefix(list[i], f));
        else
          z.transfer_keys.push_back(known_key(list[i], f));
      }
    }
    if (auto it = v.find("notify"); it != v.end()) {
      const auto list = strings(*it, field + ".notify");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string f = fmt::format("{}.notify[{}]", field, i);
        try {
          ListenAddress a = ListenAddress::parse(list[i]);
          if (a.port == 0) throw error(f, fmt::format("'{}': port 0", list[i]));
          z.notify.push_back(a);
        } catch (const ConfigError&) {
          throw;
        } catch (const std::exception& e) {
          throw error(f, e.what());
        }
      }
    }
    if (auto it = v.find("notify_key"); it != v.end()) {
      const std::string f = field + ".notify_key";
      if (!it->is_string()) throw error(f, "expected a key name (a string)");
      z.notify_key = known_key(it->get<std::string>(), f);
    }
    return z;
  }

 private:
  const std::string& path_;
  const std::filesystem::path& dir_;
  std::vector<std::string>& warnings_;
};

}  // namespace

bool AddressPrefix::contains(const boost::asio::ip::address& a) const {
  if (a.is_v4() != address.is_v4()) return false;
  auto bytes_of = [](const boost::asio::ip::address& x) {
    std::vector<unsigned char> b;
    if (x.is_v4()) {
      auto v = x.to_v4().to_bytes();
      b.assign(v.begin(), v.end());
    } else {
      auto v = x.to_v6().to_bytes();
      b.assign(v.begin(), v.end());
    }
    return b;
  };
  const auto mine = bytes_of(address), theirs = bytes_of(a);
  for (unsigned bit = 0; bit < length; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((mine[bit / 8] & mask) != (theirs[bit / 8] & mask)) return false;
  }
  return true;
}

bool ZonePolicy::may_update(const dns::Name& key) const {
  for (const dns::Name& k : allow_update)
    if (k == key) return true;
  return false;
}

const dns::tsig::Key* ZonePolicyConfig::key(const dns::Name& name) const {
  for (const auto& k : keys)
    if (k.name == name) return &k;
  return nullptr;
}

const ZonePolicy* ZonePolicyConfig::zone(const dns::Name& apex) const {
  for (const auto& z : zones)
    if (z.zone == apex) return &z;
  return nullptr;
}

ZonePolicyConfig parse_zone_policy(const nlohmann::json& document, const std::string& path,
                                   const std::filesystem::path& config_dir,
                                   std::vector<std::string>& warnings) {
  PolicyReader read(path, config_dir, warnings);
  ZonePolicyConfig config;
  if (auto it = document.find("keys"); it != document.end()) {
    if (!it->is_object()) throw read.error("keys", "expected an object of keys by name");
    for (const auto& [name, value] : it->items()) {
      dns::tsig::Key key = read.key(name, value);
      if (config.key(key.name))
        throw read.error("keys." + name, "a key of this name is defined twice");
      config.keys.push_back(std::move(key));
    }
  }
  if (auto it = document.find("zones"); it != document.end()) {
    if (!it->is_object()) throw read.error("zones", "expected an object of zones by name");
    for (const auto& [name, value] : it->items()) {
      ZonePolicy zone = read.zone(name, value, config.keys);
      if (config.zone(zone.zone)) throw read.error("zones." + name, "this zone is listed twice");
      config.zones.push_back(std::move(zone));
    }
  }
  return config;
}

}  // namespace net
