#pragma once
// Where the pure engine reports events worth a log line (leader changes, checkpoint progress,
// errors). net/ forwards them to spdlog; the simulator records or discards them.

#include <functional>
#include <string>

namespace engine {

enum class LogLevel { Debug, Info, Warn, Error };

using LogSink = std::function<void(LogLevel, const std::string&)>;

}  // namespace engine
