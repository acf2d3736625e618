#include "harness/sites.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace harness {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  for (std::size_t from = 0;;) {
    const std::size_t at = text.find(sep, from);
    out.push_back(text.substr(from, at == std::string::npos ? at : at - from));
    if (at == std::string::npos) return out;
    from = at + 1;
  }
}

std::uint32_t number(const std::string& text, const char* field, const std::string& word,
                     std::uint32_t lo, std::uint32_t hi) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
  if (word.empty() || ec != std::errc() || end != word.data() + word.size() || v < lo || v > hi)
    throw std::invalid_argument(fmt::format(
        "--sites '{}': {} '{}' is not an integer in {}..{} (want SITES/RTT_MS[/JITTER_MS], e.g. "
        "1,2,3/20,80,150)",
        text, field, word, lo, hi));
  return v;
}

}  // namespace

std::uint32_t SiteMap::sites() const {
  return site_of.empty() ? 0 : *std::max_element(site_of.begin(), site_of.end());
}

std::uint32_t SiteMap::rtt(std::uint32_t x, std::uint32_t y) const {
  if (x == y) return 0;
  if (x > y) std::swap(x, y);
  const std::uint32_t s = sites();
  // Pairs before row x: (x-1) rows of lengths s-1, s-2, ...
  std::size_t index = 0;
  for (std::uint32_t r = 1; r < x; ++r) index += s - r;
  index += y - x - 1;
  return rtt_ms.at(index);
}

std::vector<Fault> SiteMap::delays() const {
  std::vector<Fault> out;
  for (std::size_t a = 1; a <= site_of.size(); ++a)
    for (std::size_t b = 1; b <= site_of.size(); ++b) {
      const std::uint32_t r = rtt(site_of[a - 1], site_of[b - 1]);
      if (a == b || (r == 0 && site_of[a - 1] == site_of[b - 1])) continue;
      Fault f;
      f.at = 0;
      f.kind = FaultKind::Delay;
      f.a = a;
      f.b = b;
      f.duration = 0;
      f.delay_ms = r / 2;
      f.jitter_ms = jitter_ms;
      out.push_back(f);
    }
  return out;
}

std::uint32_t SiteMap::max_rtt_ms() const {
  return rtt_ms.empty() ? 0 : *std::max_element(rtt_ms.begin(), rtt_ms.end());
}

SiteMap parse_sites(const std::string& text, std::size_t nodes) {
  const std::vector<std::string> parts = split(text, '/');
  if (parts.size() < 2 || parts.size() > 3)
    throw std::invalid_argument(
        fmt::format("--sites '{}': want SITES/RTT_MS[/JITTER_MS], e.g. 1,2,3/20,80,150", text));
  SiteMap m;
  for (const std::string& w : split(parts[0], ','))
    m.site_of.push_back(number(text, "site", w, 1, 9));
  if (nodes != 0 && m.site_of.size() != nodes)
    throw std::invalid_argument(
        fmt::format("--sites '{}': {} sites given for {} nodes", text, m.site_of.size(), nodes));
  const std::uint32_t s = m.sites();
  for (std::uint32_t site = 1; site <= s; ++site)
    if (std::find(m.site_of.begin(), m.site_of.end(), site) == m.site_of.end())
      throw std::invalid_argument(
          fmt::format("--sites '{}': site {} has no node (sites are numbered 1..S)", text, site));
  if (!parts[1].empty())
    for (const std::string& w : split(parts[1], ','))
      m.rtt_ms.push_back(number(text, "RTT_MS", w, 0, 600000));
  if (m.rtt_ms.size() != static_cast<std::size_t>(s) * (s - 1) / 2)
    throw std::invalid_argument(
        fmt::format("--sites '{}': {} sites need {} round trips (1-2, 1-3, ..., 2-3, ...), "
                    "{} given",
                    text, s, s * (s - 1) / 2, m.rtt_ms.size()));
  if (parts.size() == 3) m.jitter_ms = number(text, "JITTER_MS", parts[2], 0, 600000);
  return m;
}

}  // namespace harness
