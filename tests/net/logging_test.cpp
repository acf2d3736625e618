// The JSON log format: one parseable object per line, whatever the message holds.

#include "net/logging.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace net {
namespace {

TEST(LoggingTest, AJsonLineHoldsTimeLevelNodeComponentAndMessage) {
  const std::string line =
      json_log_line("2026-12-02T19:30:00.123Z", "info", 2, "peers", "link to node 1 \"up\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["time"], "2026-12-02T19:30:00.123Z");
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["node"], 2);
  EXPECT_EQ(parsed["component"], "peers");
  EXPECT_EQ(parsed["message"], "link to node 1 \"up\"");
}

TEST(LoggingTest, StandaloneLinesHaveNoNodeAndBadBytesDoNotBreakTheLine) {
  const std::string line =
      json_log_line("t", "warning", std::nullopt, "", std::string("bad \xff\xfe bytes\nnext"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_FALSE(parsed.contains("node"));
  EXPECT_FALSE(parsed.contains("component"));
  EXPECT_NE(parsed["message"].get<std::string>().find("next"), std::string::npos);
}

TEST(LoggingTest, FormatsAreNamedTextAndJson) {
  EXPECT_EQ(parse_log_format("text"), LogFormat::Text);
  EXPECT_EQ(parse_log_format("json"), LogFormat::Json);
  EXPECT_EQ(parse_log_format("xml"), std::nullopt);
}

}  // namespace
}  // namespace net
