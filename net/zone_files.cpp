#include "net/zone_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dns/zone_parser.h"
#include "net/error.h"

namespace net {

namespace {

std::string lowercase_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(fmt::format("cannot read {}: is a directory", path));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(fmt::format("cannot read {}: {}", path, lowercase_first(std::strerror(errno))));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(fmt::format("cannot read {}: read error", path));
  return std::move(text).str();
}

ZoneFileContents read_zone_files(const std::vector<std::string>& paths, std::uint32_t default_ttl) {
  ZoneFileContents result;
  for (const auto& path : paths) {
    std::string text = read_text_file(path);
    std::filesystem::path directory = std::filesystem::path(path).parent_path();
    dns::ZoneParseOptions options;
    options.default_ttl = default_ttl;
    options.include_reader = [directory](const std::string& name) -> std::optional<std::string> {
      std::filesystem::path include(name);
      if (include.is_relative()) include = directory / include;
      try {
        return read_text_file(include.string());
      } catch (const Error&) {
        return std::nullopt;  // the parser reports it as "file:line: cannot read ..."
      }
    };
    auto parsed = dns::parse_zone(text, path, options);
    if (result.records.empty()) {
      result.records = std::move(parsed.records);  // the usual single file: no copy
    } else {
      result.records.reserve(result.records.size() + parsed.records.size());
      for (auto& record : parsed.records) result.records.push_back(std::move(record));
    }
    for (const auto& warning : parsed.warnings)
      result.warnings.push_back(
          fmt::format("{}:{}: {}", warning.file, warning.line, warning.message));
  }
  return result;
}

}  // namespace net
