#pragma once
// dns-node's logging set-up, in one place: standard error, as text (spdlog's default pattern)
// or as JSON lines for log collectors (`--log-format json`).
//
// A JSON line is one object: {"time": "2026-12-02T19:30:00.123Z", "level": "info", "node": 0,
// "component": "peers", "message": "..."}; "node" is absent in standalone mode and
// "component" for the node's own messages (it names the part that logged: "peers" for the
// peer transport, "control" for the control socket).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace net {

enum class LogFormat { Text, Json };

// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view text);

// Installs the default logger ("dns-node") writing to standard error in `format` at `level`
// ("info", ...). `node` is the cluster node id (none in standalone mode).
void setup_logging(LogFormat format, const std::string& level,
                   std::optional<unsigned long long> node);

// A logger for one component that writes where the default logger does: in text its lines read
// "... [info] COMPONENT: message", in JSON they carry "component": COMPONENT. Made on first use.
std::shared_ptr<spdlog::logger> component_logger(const std::string& component);

// One JSON log line (without its '\n'): what the JSON format writes; for tests.
std::string json_log_line(std::string_view time, std::string_view level,
                          std::optional<unsigned long long> node, std::string_view component,
                          std::string_view message);

}  // namespace net
