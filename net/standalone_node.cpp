#include "net/standalone_node.h"

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engine/console_command.h"
#include "net/heap_release.h"
#include "net/metrics_endpoint.h"
#include "net/systemd_notify.h"
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
  if (config_.control_socket)
    control_ = std::make_unique<ControlSocket>(
        signals_io_, *config_.control_socket,
        [this](std::string line, int line_number, ControlReplyFn reply) {
          handle_command(std::move(line), line_number, std::move(reply));
        });
}

void StandaloneNode::load_files() {
  // Zones are built on another thread while this one parses on, so a large zone loads in about
  // the time of the slower of the two rather than their sum (issue 16).
  auto loader = std::make_unique<dns::Database::Loader>(db_);
  const std::vector<std::string> parse_warnings =
      stream_zone_files(config_.zone_files, config_.default_ttl,
                        [&](dns::RecordBatch batch) { loader->add(std::move(batch)); });
  for (const auto& warning : parse_warnings) spdlog::warn("{}", warning);
  for (const auto& warning : loader->finish()) spdlog::warn("{}", warning);
  if (releasing_.joinable()) releasing_.join();
  releasing_ = std::jthread([loader = std::move(loader)]() mutable {
    loader.reset();  // the last references to the parsed records
    // Their many small blocks sat between the zone's in the heap; hand the free pages back so
    // resident memory is the zone's (issue 16: 1M records).
    release_free_heap();
  });
}

bool StandaloneNode::reload(std::string* error) {
  try {
    load_files();
  } catch (const std::exception& e) {
    spdlog::error("reload failed, still serving the previous data: {}", e.what());
    if (error) *error = e.what();
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

void StandaloneNode::handle_command(std::string line, int line_number, ControlReplyFn reply) {
  const engine::ConsoleCommand command = engine::parse_console_line(
      line, line_number, engine::ConsoleDefaults{config_.default_ttl, dns::Name()});
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, engine::console::Change>) {
          reply(
              "ERROR standalone node: records come from the zone files only; edit them and "
              "RELOAD");
        } else if constexpr (std::is_same_v<T, engine::console::Status>) {
          reply(fmt::format("STATUS standalone serving {} on {}", summary(),
                            server_->address().to_string()));
        } else if constexpr (std::is_same_v<T, engine::console::Help>) {
          reply(engine::console_help());
        } else if constexpr (std::is_same_v<T, engine::console::Reload>) {
          std::string error;
          reply(reload(&error)
                    ? fmt::format("RELOAD OK serving {}", summary())
                    : fmt::format("RELOAD ERROR {}; still serving the previous data", error));
        } else if constexpr (std::is_same_v<T, engine::console::Members> ||
                             std::is_same_v<T, engine::console::AddNode> ||
                             std::is_same_v<T, engine::console::RemoveNode>) {
          reply("ERROR standalone node: it has no cluster members");
        } else if constexpr (std::is_same_v<T, engine::console::Error>) {
          reply("ERROR " + c.message);
        } else {
          reply("");  // blank line or comment
        }
      },
      command);
}

void StandaloneNode::run() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("{}: shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
    notify_systemd("STOPPING=1");
    reload_signal_.cancel();
    if (http_) http_->stop();  // its listener would keep run() going
    if (control_) control_->close();
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
  if (control_) {
    control_->start();
    spdlog::info("control socket {}", control_->path().string());
  }
  notify_systemd("READY=1");
  // Reloads run here, on this thread: the database's single writer, never a query thread.
  signals_io_.run();
  if (http_) http_->stop();
  server_->stop();
  spdlog::info("stopped");
}

}  // namespace net
