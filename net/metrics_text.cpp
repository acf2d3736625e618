#include "net/metrics_text.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace net {

std::uint64_t HistogramSnapshot::count() const {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  return total;
}

void HistogramSnapshot::merge(const HistogramSnapshot& other) {
  if (counts.empty()) {
    *this = other;
    return;
  }
  if (other.bounds != bounds) throw std::logic_error("histograms with different buckets merged");
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  sum += other.sum;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Counters and most gauges are whole numbers: print them exactly, never as 1e+06.
  if (value == std::trunc(value) && std::fabs(value) < 9.007199254740992e15)
    return fmt::format("{}", static_cast<std::int64_t>(value));
  return fmt::format("{}", value);
}

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help),
                 name, type);
}

void MetricsText::labels_text(const MetricLabel* begin, const MetricLabel* end,
                              const MetricLabel* extra) {
  if (begin == end && extra == nullptr) return;
  out_ += '{';
  bool first = true;
  auto one = [&](const MetricLabel& label) {
    if (!first) out_ += ',';
    first = false;
    fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", label.first,
                   escape_label_value(label.second));
  };
  for (const MetricLabel* l = begin; l != end; ++l) one(*l);
  if (extra) one(*extra);
  out_ += '}';
}

void MetricsText::sample(std::string_view name, MetricLabels labels, double value) {
  out_ += name;
  labels_text(labels.begin(), labels.end());
  out_ += ' ';
  out_ += format_metric_value(value);
  out_ += '\n';
}

void MetricsText::sample(std::string_view name, const std::vector<MetricLabel>& labels,
                         double value) {
  out_ += name;
  labels_text(labels.data(), labels.data() + labels.size());
  out_ += ' ';
  out_ += format_metric_value(value);
  out_ += '\n';
}

void MetricsText::histogram(std::string_view name, MetricLabels labels,
                            const HistogramSnapshot& h) {
  const std::string bucket = fmt::format("{}_bucket", name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += i < h.counts.size() ? h.counts[i] : 0;
    const std::string le =
        i < h.bounds.size() ? format_metric_value(h.bounds[i]) : std::string("+Inf");
    const MetricLabel le_label{"le", le};
    out_ += bucket;
    labels_text(labels.begin(), labels.end(), &le_label);
    fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
  }
  out_ += name;
  out_ += "_sum";
  labels_text(labels.begin(), labels.end());
  out_ += ' ';
  out_ += format_metric_value(h.sum);
  out_ += '\n';
  out_ += name;
  out_ += "_count";
  labels_text(labels.begin(), labels.end());
  fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
}

}  // namespace net
