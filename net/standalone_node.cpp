#include "net/standalone_node.h"

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/metrics_endpoint.h"
#include "net/zone_files.h"

namespace net {

StandaloneNode::StandaloneNode(StandaloneConfig config) : config_(std::move(config)) {
  load_files();
  server_ =
      std::make_unique<AuthoritativeServer>(db_, config_.listen, config_.server, &dns_metrics_);
  if (config_.http)
    http_ = std::make_unique<HttpServer>(
        signals_io_, *config_.http,
        [endpoints = standalone_endpoints(db_, dns_metrics_)](std::string_view path) {
          return answer_node_request(endpoints, path);
        });
}

void StandaloneNode::load_files() {
  auto contents = read_zone_files(config_.zone_files, config_.default_ttl);
  for (const auto& warning : contents.warnings) spdlog::warn("{}", warning);
  for (const auto& warning : db_.load(std::move(contents.records))) spdlog::warn("{}", warning);
}

bool StandaloneNode::reload() {
  try {
    load_files();
  } catch (const std::exception& e) {
    spdlog::error("reload failed, still serving the previous data: {}", e.what());
    return false;
  }
  spdlog::info("reloaded zone files: serving {}", summary());
  return true;
}

std::string StandaloneNode::summary() const {
  auto version = db_.current();
  std::size_t zones = version->zones().size();
  std::size_t records = version->record_count();
  return fmt::format("{} zone{} ({} record{})", zones, zones == 1 ? "" : "s", records,
                     records == 1 ? "" : "s");
}

void StandaloneNode::wait_for_reload() {
  reload_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reload();
    wait_for_reload();
  });
}

void StandaloneNode::run() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("{}: shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
    reload_signal_.cancel();
    if (http_) http_->stop();  // its listener would keep run() going
  });
  wait_for_reload();

  server_->start();
  if (http_) {
    http_->start();
    spdlog::info("http: metrics on http://{}/metrics (also /health)", http_->address().to_string());
  }
  std::printf("dns-node: serving %s on %s udp+tcp with %u thread%s\n", summary().c_str(),
              server_->address().to_string().c_str(), server_->threads(),
              server_->threads() == 1 ? "" : "s");
  std::fflush(stdout);
  // Reloads run here, on this thread: the database's single writer, never a query thread.
  signals_io_.run();
  if (http_) http_->stop();
  server_->stop();
  spdlog::info("stopped");
}

}  // namespace net
