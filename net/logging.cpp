#include "net/logging.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace net {
namespace {

constexpr const char* kDefaultLogger = "dns-node";
constexpr const char* kTextPattern = "[%Y-%m-%d %H:%M:%S.%e] [dns-node] [%^%l%$] %v";

struct LogSettings {
  LogFormat format = LogFormat::Text;
  std::optional<unsigned long long> node;
};

LogSettings& settings() {
  static LogSettings value;
  return value;
}

// RFC 3339 in UTC with milliseconds, as log collectors parse it.
std::string utc_time(spdlog::log_clock::time_point when) {
  const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(when);
  const std::time_t seconds = spdlog::log_clock::to_time_t(when);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(seconds),
                     ms.time_since_epoch().count() % 1000);
}

// Writes each message as one JSON object per line to standard error.
class JsonLineSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    const std::string line =
        json_log_line(utc_time(msg.time), spdlog::level::to_string_view(msg.level).data(),
                      settings().node, logger == kDefaultLogger ? std::string_view() : logger,
                      std::string_view(msg.payload.data(), msg.payload.size()));
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

// The sink of a logger. A pattern belongs to a sink, not to a logger, so in text each logger has
// its own (the console sinks share one lock, so their lines never interleave); the JSON sink
// has no pattern and is shared.
spdlog::sink_ptr make_sink(const std::string& pattern) {
  static const auto json_sink = std::make_shared<JsonLineSink>();
  if (settings().format == LogFormat::Json) return json_sink;
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_pattern(pattern);
  return sink;
}

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::Text;
  if (text == "json") return LogFormat::Json;
  return std::nullopt;
}

void setup_logging(LogFormat format, const std::string& level,
                   std::optional<unsigned long long> node) {
  settings() = LogSettings{format, node};
  auto logger = std::make_shared<spdlog::logger>(kDefaultLogger, make_sink(kTextPattern));
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& component) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = std::make_shared<spdlog::logger>(
      component,
      make_sink(fmt::format("[%Y-%m-%d %H:%M:%S.%e] [dns-node] [%^%l%$] {}: %v", component)));
  logger->set_level(spdlog::default_logger()->level());
  spdlog::register_logger(logger);
  return logger;
}

std::string json_log_line(std::string_view time, std::string_view level,
                          std::optional<unsigned long long> node, std::string_view component,
                          std::string_view message) {
  nlohmann::ordered_json line;
  line["time"] = time;
  line["level"] = level;
  if (node) line["node"] = *node;
  if (!component.empty()) line["component"] = component;
  line["message"] = message;
  // Log text may hold bytes that are not UTF-8 (a peer's garbage quoted in a message): replace
  // them rather than throw.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace net
