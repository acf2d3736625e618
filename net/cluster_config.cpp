#include "net/cluster_config.h"

#include "engine/command.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "net/zone_policy_config.h"

#include "net/zone_files.h"

namespace net {

namespace {

using json = nlohmann::json;

constexpr std::int64_t kMaxMilliseconds = 3'600'000;
constexpr std::int64_t kMaxThreads = 64;
constexpr std::size_t kMaxClusterNameLength = 64;
constexpr std::int64_t kMaxPendingBytes = std::int64_t{1} << 40;

const std::set<std::string> kTopLevelFields = {
    "nodes",
    "cluster_name",
    "election_timeout_ms",
    "heartbeat_ms",
    "checkpoint_interval_ms",
    "write_timeout_ms",
    "threads",
    "cluster_key_file",
    "keys",
    "zones",
    "max_pending_bytes",
    "ixfr_journal_diffs",
    "ixfr_journal_bytes",
    "import_copy_records",
};
const std::set<std::string> kNodeFields = {"raft_loc", "query_loc", "data_dir",
                                           "threads",  "http_loc",  "control_socket"};

// How a value looks in "got ..." messages: scalars as JSON, containers by kind.
std::string describe(const json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Checks one parsed document; every error names the file and the field.
class Checker {
 public:
  explicit Checker(const std::string& file) : file_(file) {}

  ConfigError error(const std::string& field, const std::string& message) const {
    if (field.empty()) return ConfigError(fmt::format("{}: {}", file_, message));
    return ConfigError(fmt::format("{}: {}: {}", file_, field, message));
  }

  std::int64_t integer(const json& value, const std::string& field, std::int64_t lo,
                       std::int64_t hi, std::string_view what) const {
    // is_number_integer() is false for 1.5 and for true, both of which nlohmann would convert.
    if (!value.is_number_integer())
      throw error(field, fmt::format("expected {} ({}-{}), got {}", what, lo, hi, describe(value)));
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
      throw error(field, fmt::format("expected {} ({}-{}), got {}", what, lo, hi, describe(value)));
    const std::int64_t number = value.get<std::int64_t>();
    if (number < lo || number > hi)
      throw error(field, fmt::format("expected {} ({}-{}), got {}", what, lo, hi, number));
    return number;
  }

  std::chrono::milliseconds milliseconds(const json& value, const std::string& field) const {
    return std::chrono::milliseconds(
        integer(value, field, 1, kMaxMilliseconds, "a whole number of milliseconds"));
  }

  unsigned threads(const json& value, const std::string& field) const {
    return static_cast<unsigned>(integer(value, field, 1, kMaxThreads, "a number of threads"));
  }

  const std::string& string(const json& value, const std::string& field,
                            std::string_view what) const {
    if (!value.is_string())
      throw error(field, fmt::format("expected {}, got {}", what, describe(value)));
    return value.get_ref<const std::string&>();
  }

  ListenAddress address(const json& value, const std::string& field) const {
    if (!value.is_string())
      throw error(field, fmt::format("expected \"ip:port\", got {}", describe(value)));
    ListenAddress address;
    try {
      address = ListenAddress::parse(value.get_ref<const std::string&>());
    } catch (const Error& e) {
      throw error(field, e.what());
    }
    if (address.port == 0)
      throw error(field, fmt::format("port 0 in '{}': peers and clients need a fixed port",
                                     value.get_ref<const std::string&>()));
    return address;
  }

  engine::NodeId node_id(const std::string& key) const {
    const std::string field = join_path("nodes", key);
    engine::NodeId id = 0;
    auto [end, err] = std::from_chars(key.data(), key.data() + key.size(), id);
    const bool leading_zero = key.size() > 1 && key[0] == '0';
    if (key.empty() || err != std::errc() || end != key.data() + key.size() || leading_zero ||
        id == std::numeric_limits<engine::NodeId>::max())
      throw error(field, "a node id must be a decimal number (\"0\", \"1\", ...)");
    return id;
  }

 private:
  const std::string& file_;
};

// nlohmann/json keeps the last of two equal keys silently; a second "0" node would vanish.
// This parser callback remembers the first duplicate and where it is.
class DuplicateKeyFinder {
 public:
  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        frames_.push_back({frames_.empty() ? "" : join_path(frames_.back().path, last_key_), {}});
        last_key_.clear();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case json::parse_event_t::key: {
        last_key_ = parsed.get<std::string>();
        if (!frames_.empty() && !frames_.back().keys.insert(last_key_).second && !duplicate_)
          duplicate_ = join_path(frames_.back().path, last_key_);
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

  const std::optional<std::string>& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    std::string path;
    std::set<std::string> keys;
  };
  std::vector<Frame> frames_;
  std::string last_key_;
  std::optional<std::string> duplicate_;
};

json parse_json(std::string_view text, const Checker& check) {
  // The callback is copied into the parser; the shared finder survives the copy.
  auto finder = std::make_shared<DuplicateKeyFinder>();
  json document;
  try {
    document = json::parse(text, [finder](int depth, json::parse_event_t event, json& parsed) {
      return (*finder)(depth, event, parsed);
    });
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." minus the tag.
    std::string message = e.what();
    if (auto tag_end = message.find("] ");
        message.starts_with("[json.") && tag_end != std::string::npos)
      message = message.substr(tag_end + 2);
    throw check.error("", "invalid JSON: " + message);
  }
  if (finder->duplicate()) throw check.error(*finder->duplicate(), "duplicate key");
  return document;
}

}  // namespace

unsigned default_query_threads() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

const NodeConfig& ClusterConfig::node(engine::NodeId id) const {
  if (auto it = nodes.find(id); it != nodes.end()) return it->second;
  throw ConfigError(
      fmt::format("{}: no node {} (the nodes are {})", path, id, fmt::join(member_ids(), ", ")));
}

std::filesystem::path control_socket_path(const NodeConfig& node,
                                          const std::filesystem::path& data_dir) {
  return node.control_socket.empty() ? data_dir / "control.sock" : node.control_socket;
}

std::vector<engine::NodeId> ClusterConfig::member_ids() const {
  std::vector<engine::NodeId> ids;
  for (const auto& [id, node] : nodes) ids.push_back(id);
  return ids;
}

ClusterConfig load_cluster_config(const std::string& path) {
  std::string text;
  try {
    text = read_text_file(path);
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    throw ConfigError(e.what());
  }
  return parse_cluster_config(text, path);
}

ClusterConfig parse_cluster_config(std::string_view text, const std::string& path) {
  Checker check(path);
  const json document = parse_json(text, check);
  if (!document.is_object())
    throw check.error(
        "", fmt::format("expected a JSON object with \"nodes\", got {}", describe(document)));

  ClusterConfig config;
  config.path = path;
  for (const auto& [key, value] : document.items())
    if (!kTopLevelFields.contains(key))
      config.warnings.push_back(fmt::format("{}: unknown field {}", path, key));

  if (auto it = document.find("cluster_name"); it != document.end()) {
    const std::string& name = check.string(*it, "cluster_name", "a string");
    const bool valid_chars = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
    if (name.empty() || name.size() > kMaxClusterNameLength || !valid_chars)
      throw check.error("cluster_name",
                        fmt::format("expected 1-{} characters from A-Z a-z 0-9 . _ -, got {}",
                                    kMaxClusterNameLength, describe(*it)));
    config.cluster_name = name;
  }
  struct DurationField {
    const char* name;
    std::chrono::milliseconds* target;
  };
  for (auto [name, target] : {DurationField{"election_timeout_ms", &config.election_timeout},
                              DurationField{"heartbeat_ms", &config.heartbeat},
                              DurationField{"checkpoint_interval_ms", &config.checkpoint_interval},
                              DurationField{"write_timeout_ms", &config.write_timeout}}) {
    if (auto it = document.find(name); it != document.end())
      *target = check.milliseconds(*it, name);
  }
  if (config.election_timeout < 2 * config.heartbeat)
    throw check.error("election_timeout_ms",
                      fmt::format("must be at least twice heartbeat_ms ({} ms), got {}",
                                  config.heartbeat.count(), config.election_timeout.count()));
  if (auto it = document.find("max_pending_bytes"); it != document.end())
    config.max_pending_bytes = static_cast<std::uint64_t>(
        check.integer(*it, "max_pending_bytes", static_cast<std::int64_t>(engine::kMinPendingBound),
                      kMaxPendingBytes, "a number of bytes"));
  if (auto it = document.find("import_copy_records"); it != document.end())
    config.import_copy_records = static_cast<std::size_t>(check.integer(
        *it, "import_copy_records", 0, std::int64_t{1} << 32, "a number of records, 0 for never"));
  if (auto it = document.find("ixfr_journal_diffs"); it != document.end())
    config.journal.max_diffs = static_cast<std::size_t>(
        check.integer(*it, "ixfr_journal_diffs", 1, 1'000'000, "a number of serials per zone"));
  if (auto it = document.find("ixfr_journal_bytes"); it != document.end())
    config.journal.max_bytes = static_cast<std::size_t>(check.integer(
        *it, "ixfr_journal_bytes", 1024, std::int64_t{1} << 30, "a number of bytes per zone"));
  unsigned threads = default_query_threads();
  if (auto it = document.find("threads"); it != document.end())
    threads = check.threads(*it, "threads");

  const std::filesystem::path config_dir = std::filesystem::path(path).parent_path();
  if (auto it = document.find("cluster_key_file"); it != document.end()) {
    const std::string& file = check.string(*it, "cluster_key_file", "a file name");
    if (file.empty()) throw check.error("cluster_key_file", "expected a file name, got \"\"");
    config.cluster_key_file = (config_dir / file).lexically_normal();
    std::vector<std::string> key_warnings;
    try {
      config.cluster_key = std::make_shared<const ClusterKey>(
          read_cluster_key_file(config.cluster_key_file, &key_warnings));
    } catch (const Error& e) {
      throw check.error("cluster_key_file", e.what());
    }
    for (const auto& warning : key_warnings)
      config.warnings.push_back(fmt::format("{}: cluster_key_file: {}", path, warning));
  }

  config.policy = std::make_shared<const ZonePolicyConfig>(
      parse_zone_policy(document, path, config_dir, config.warnings));

  auto nodes_it = document.find("nodes");
  if (nodes_it == document.end())
    throw check.error("",
                      "missing field nodes (e.g. {\"nodes\": {\"0\": {\"raft_loc\": "
                      "\"127.0.0.1:4321\", \"query_loc\": \"127.0.0.1:10053\"}}})");
  if (!nodes_it->is_object())
    throw check.error(
        "nodes", fmt::format("expected an object of nodes by id, got {}", describe(*nodes_it)));
  if (nodes_it->empty()) throw check.error("nodes", "expected at least one node");

  std::map<std::string, std::string> address_users;  // "127.0.0.1:4321" -> "nodes.0.raft_loc"
  for (const auto& [key, value] : nodes_it->items()) {
    const std::string node_path = join_path("nodes", key);
    NodeConfig node;
    node.id = check.node_id(key);
    if (config.nodes.contains(node.id))
      throw check.error(node_path, fmt::format("node {} is defined twice", node.id));
    if (!value.is_object())
      throw check.error(node_path, fmt::format("expected an object with raft_loc and query_loc, "
                                               "got {}",
                                               describe(value)));
    for (const auto& [field, field_value] : value.items())
      if (!kNodeFields.contains(field))
        config.warnings.push_back(
            fmt::format("{}: unknown field {}", path, join_path(node_path, field)));

    for (auto [field, target] : {std::pair{"raft_loc", &node.raft}, {"query_loc", &node.query}}) {
      const std::string field_path = join_path(node_path, field);
      auto it = value.find(field);
      if (it == value.end()) throw check.error(node_path, fmt::format("missing field {}", field));
      *target = check.address(*it, field_path);
      auto [user, inserted] = address_users.emplace(target->to_string(), field_path);
      if (!inserted)
        throw check.error(
            field_path, fmt::format("{} is already used by {}", target->to_string(), user->second));
    }

    if (auto it = value.find("http_loc"); it != value.end()) {
      const std::string field_path = join_path(node_path, "http_loc");
      node.http = check.address(*it, field_path);
      auto [user, inserted] = address_users.emplace(node.http->to_string(), field_path);
      if (!inserted)
        throw check.error(field_path, fmt::format("{} is already used by {}",
                                                  node.http->to_string(), user->second));
    }

    node.data_dir = config_dir / "data" / fmt::format("node-{}", node.id);
    if (auto it = value.find("data_dir"); it != value.end()) {
      const std::string field_path = join_path(node_path, "data_dir");
      const std::string& dir = check.string(*it, field_path, "a directory name");
      if (dir.empty()) throw check.error(field_path, "expected a directory name, got \"\"");
      node.data_dir = config_dir / dir;  // an absolute `dir` replaces config_dir
    }
    node.data_dir = node.data_dir.lexically_normal();

    if (auto it = value.find("control_socket"); it != value.end()) {
      const std::string field_path = join_path(node_path, "control_socket");
      const std::string& socket = check.string(*it, field_path, "a socket path");
      if (socket.empty()) throw check.error(field_path, "expected a socket path, got \"\"");
      node.control_socket = (config_dir / socket).lexically_normal();
    }

    node.threads = threads;
    if (auto it = value.find("threads"); it != value.end())
      node.threads = check.threads(*it, join_path(node_path, "threads"));
    config.nodes.emplace(node.id, std::move(node));
  }

  std::map<std::filesystem::path, engine::NodeId> dir_users;
  for (const auto& [id, node] : config.nodes) {
    auto [user, inserted] = dir_users.emplace(node.data_dir, id);
    if (!inserted)
      throw check.error(fmt::format("nodes.{}.data_dir", id),
                        fmt::format("{} is already the data directory of node {}",
                                    node.data_dir.string(), user->second));
  }
  std::map<std::filesystem::path, engine::NodeId> socket_users;
  for (const auto& [id, node] : config.nodes) {
    auto [user, inserted] = socket_users.emplace(control_socket_path(node, node.data_dir), id);
    if (!inserted)
      throw check.error(fmt::format("nodes.{}.control_socket", id),
                        fmt::format("{} is already the control socket of node {}",
                                    user->first.string(), user->second));
  }
  return config;
}

}  // namespace net
