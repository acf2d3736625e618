// The Prometheus text exposition (net/metrics_text.h) and the duration histogram behind it.

#include "net/metrics_text.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "net/metrics_histogram.h"

namespace net {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(MetricsText, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value("plain.example.com."), "plain.example.com.");
  EXPECT_EQ(escape_label_value(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(escape_label_value(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(escape_label_value("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(escape_label_value("tab\tstays"), "tab\tstays");
}

TEST(MetricsText, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("a \"quoted\" \\ word\nnext"), "a \"quoted\" \\\\ word\\nnext");
}

TEST(MetricsText, FamilyAndSamplesWithEscapedLabels) {
  MetricsText out;
  out.family("raftdns_zone_records", "gauge", "Records served in each zone");
  out.sample("raftdns_zone_records", {{"zone", "we\"ird\\.zone."}}, 27);
  out.sample("raftdns_zone_records", {{"zone", "a."}, {"extra", "x\ny"}}, 3);
  out.family("raftdns_raft_term", "gauge", "Current raft term");
  out.sample("raftdns_raft_term", {}, 7);
  EXPECT_EQ(out.text(),
            "# HELP raftdns_zone_records Records served in each zone\n"
            "# TYPE raftdns_zone_records gauge\n"
            "raftdns_zone_records{zone=\"we\\\"ird\\\\.zone.\"} 27\n"
            "raftdns_zone_records{zone=\"a.\",extra=\"x\\ny\"} 3\n"
            "# HELP raftdns_raft_term Current raft term\n"
            "# TYPE raftdns_raft_term gauge\n"
            "raftdns_raft_term 7\n");
}

TEST(MetricsText, ValuesAreExactForWholeNumbersAndSpecialOtherwise) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(1234567890123.0), "1234567890123");
  EXPECT_EQ(format_metric_value(-3), "-3");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(2.5e-6), "2.5e-06");
  EXPECT_EQ(format_metric_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_metric_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_metric_value(0.0 / 0.0), "NaN");
}

TEST(MetricsText, HistogramBucketsAreCumulativeWithSumAndCount) {
  HistogramSnapshot h;
  h.bounds = {0.001, 0.01, 0.1};
  h.counts = {2, 0, 3, 1};  // per bucket; the last is above 0.1
  h.sum = 1.5;
  MetricsText out;
  out.histogram("x_seconds", {{"transport", "udp"}}, h);
  EXPECT_EQ(out.text(),
            "x_seconds_bucket{transport=\"udp\",le=\"0.001\"} 2\n"
            "x_seconds_bucket{transport=\"udp\",le=\"0.01\"} 2\n"
            "x_seconds_bucket{transport=\"udp\",le=\"0.1\"} 5\n"
            "x_seconds_bucket{transport=\"udp\",le=\"+Inf\"} 6\n"
            "x_seconds_sum{transport=\"udp\"} 1.5\n"
            "x_seconds_count{transport=\"udp\"} 6\n");
}

TEST(MetricsText, HistogramWithoutLabelsHasOnlyLe) {
  HistogramSnapshot h;
  h.bounds = {1};
  h.counts = {0, 0};
  MetricsText out;
  out.histogram("y", {}, h);
  EXPECT_EQ(out.text(), "y_bucket{le=\"1\"} 0\ny_bucket{le=\"+Inf\"} 0\ny_sum 0\ny_count 0\n");
}

TEST(DurationHistogram, CountsEachValueInTheFirstBucketItFits) {
  DurationHistogram h{1e-3, 1e-2};
  h.observe(microseconds(500));  // <= 1 ms
  h.observe(milliseconds(1));    // exactly on the bound: le is inclusive
  h.observe(milliseconds(5));
  h.observe(milliseconds(50));              // above every bound
  h.observe(std::chrono::nanoseconds(-5));  // a clock step back counts as 0
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{1e-3, 1e-2}));
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{3, 1, 1}));
  EXPECT_EQ(s.count(), 5u);
  EXPECT_NEAR(s.sum, 0.0565, 1e-12);
}

TEST(DurationHistogram, SnapshotsOfTheSameBucketsMerge) {
  DurationHistogram a{1e-3}, b{1e-3};
  a.observe(microseconds(10));
  b.observe(milliseconds(2));
  b.observe(microseconds(20));
  HistogramSnapshot merged;
  merged.merge(a.snapshot());
  merged.merge(b.snapshot());
  EXPECT_EQ(merged.counts, (std::vector<std::uint64_t>{2, 1}));
  EXPECT_NEAR(merged.sum, 0.00203, 1e-12);
  DurationHistogram other{1e-2};
  EXPECT_THROW(merged.merge(other.snapshot()), std::logic_error);
}

TEST(DurationHistogram, BoundsMustAscend) {
  EXPECT_THROW((DurationHistogram{1e-3, 1e-3}), std::invalid_argument);
  EXPECT_THROW((DurationHistogram{0.0}), std::invalid_argument);
}

}  // namespace
}  // namespace net
