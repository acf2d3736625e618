#pragma once
// The Prometheus text exposition format, version 0.0.4: families with HELP and TYPE lines,
// samples with escaped label values, histograms as cumulative buckets plus _sum and _count.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace net {

// One label: name (a valid Prometheus label name, chosen by the caller) and value (any text).
using MetricLabel = std::pair<std::string_view, std::string_view>;
using MetricLabels = std::initializer_list<MetricLabel>;

// A histogram as read at one moment. `counts` has one entry per bound plus one for values above
// every bound (+Inf); each counts only its own bucket (not cumulative). Values in seconds.
struct HistogramSnapshot {
  std::vector<double> bounds;  // ascending upper bounds
  std::vector<std::uint64_t> counts;
  double sum = 0;

  std::uint64_t count() const;
  // Adds `other`, which must have the same bounds.
  void merge(const HistogramSnapshot& other);
};

// The label value as the format wants it: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);
// HELP text: backslash and newline escaped.
std::string escape_help(std::string_view text);
// A sample value: whole numbers without exponent or decimals, "+Inf", "-Inf", "NaN".
std::string format_metric_value(double value);

// Builds one exposition. Call family() before the samples of each family; a family without
// samples is still announced (its HELP and TYPE lines).
class MetricsText {
 public:
  // `type`: "counter", "gauge" or "histogram". For a counter, `name` ends in _total.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, MetricLabels labels, double value);
  void sample(std::string_view name, const std::vector<MetricLabel>& labels, double value);
  // name_bucket{...,le="B"} cumulative for every bound and +Inf, then name_sum and name_count.
  void histogram(std::string_view name, MetricLabels labels, const HistogramSnapshot& h);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void labels_text(const MetricLabel* begin, const MetricLabel* end,
                   const MetricLabel* extra = nullptr);

  std::string out_;
};

// The content type of the format, for the HTTP response.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace net
