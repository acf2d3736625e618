#include "dns/zone_parser.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <span>

#include <fmt/format.h>

#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone_checks.h"
#include "dns/zone_lexer.h"

namespace dns {

namespace {

constexpr uint64_t kMaxTtl = 2147483647;  // RFC 2181 §8

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool starts_with_digit(std::string_view s) {
  return !s.empty() && s[0] >= '0' && s[0] <= '9';
}

// What one file being read knows; an $INCLUDE'd file gets a copy, so its changes do not leak.
struct FileState {
  Name origin;
  std::optional<Name> last_owner;
  std::optional<uint32_t> dollar_ttl;  // from $TTL
  std::optional<uint32_t> last_ttl;    // last TTL written on a record (RFC 1035 default)
};

// Reads one master file and the files it includes into one result.
class MasterFileReader {
 public:
  // Without a sink every record goes into finish()'s result; with one, batches go to the sink.
  MasterFileReader(const ZoneParseOptions& opts, const RecordBatchSink* sink = nullptr,
                   size_t batch_records = 0)
      : opts_(opts), sink_(sink), batch_records_(std::max<size_t>(batch_records, 1)) {
    if (sink_) pending_.reserve(batch_records_);
  }

  void read(std::string_view text, const std::string& file_name, FileState state, int depth) {
    const std::string* file = &file_names_.emplace_back(file_name);
    include_stack_.push_back(file_name);
    ZoneLexer lexer(text, file_name);
    ZoneEntry entry;
    while (lexer.next(entry)) {
      const TextToken& first = entry.fields[0];
      if (!entry.blank_owner && !first.quoted && first.text.starts_with('$')) {
        directive(entry, *file, state, depth);
      } else {
        record(entry, *file, state);
      }
    }
    include_stack_.pop_back();
  }

  ZoneParseResult finish() {
    if (sink_) {
      hand_over();
      result_.warnings = find_cname_conflicts(batches_, locations_);
    } else {
      result_.warnings = find_cname_conflicts(result_.records, locations_);
    }
    return std::move(result_);
  }

 private:
  [[noreturn]] static void fail(const std::string& file, size_t line, const std::string& message) {
    throw ZoneError(file, line, message);
  }

  static Name name_field(const ZoneEntry& entry, size_t i, const std::string& file,
                         const Name& origin) {
    const std::string& text = entry.fields[i].text;
    try {
      return Name::from_text(text, origin);
    } catch (const ZoneError&) {
      throw;
    } catch (const Error& e) {
      fail(file, entry.field_lines[i], fmt::format("expected a domain name: {}", e.what()));
    }
  }

  void directive(const ZoneEntry& entry, const std::string& file, FileState& state, int depth) {
    const std::string& keyword = entry.fields[0].text;
    const size_t args = entry.fields.size() - 1;
    auto expect_args = [&](size_t min, size_t max, std::string_view usage) {
      if (args < min) {
        fail(file, entry.line, fmt::format("expected {}, found end of line", usage));
      }
      if (args > max) {
        fail(file, entry.field_lines[max + 1],
             fmt::format("expected end of line after {}, found '{}'", usage,
                         entry.fields[max + 1].text));
      }
    };
    if (equals_ignore_case(keyword, "$ORIGIN")) {
      expect_args(1, 1, "$ORIGIN <domain-name>");
      state.origin = name_field(entry, 1, file, state.origin);
    } else if (equals_ignore_case(keyword, "$TTL")) {
      expect_args(1, 1, "$TTL <ttl>");
      state.dollar_ttl = ttl_field(entry, 1, file);
    } else if (equals_ignore_case(keyword, "$INCLUDE")) {
      expect_args(1, 2, "$INCLUDE <file-name> [<domain-name>]");
      include(entry, file, state, depth);
    } else {
      fail(file, entry.line,
           fmt::format("expected $ORIGIN, $TTL or $INCLUDE, found '{}'", keyword));
    }
  }

  void include(const ZoneEntry& entry, const std::string& file, const FileState& state, int depth) {
    const std::string& path = entry.fields[1].text;
    if (!opts_.include_reader) {
      fail(file, entry.line,
           fmt::format("$INCLUDE '{}' is not allowed: no include reader was given", path));
    }
    if (depth + 1 > opts_.max_include_depth) {
      fail(file, entry.line,
           fmt::format("$INCLUDE '{}' nests deeper than the limit of {} levels", path,
                       opts_.max_include_depth));
    }
    if (std::find(include_stack_.begin(), include_stack_.end(), path) != include_stack_.end()) {
      std::string chain;
      for (const std::string& f : include_stack_) chain += f + " -> ";
      fail(file, entry.line, fmt::format("$INCLUDE loop: {}{}", chain, path));
    }
    FileState child = state;
    child.last_owner.reset();
    if (entry.fields.size() > 2) child.origin = name_field(entry, 2, file, state.origin);
    std::optional<std::string> text = opts_.include_reader(path);
    if (!text) fail(file, entry.line, fmt::format("cannot read $INCLUDE file '{}'", path));
    read(*text, path, std::move(child), depth + 1);
  }

  static uint32_t ttl_field(const ZoneEntry& entry, size_t i, const std::string& file) {
    std::optional<uint32_t> ttl = parse_ttl(entry.fields[i].text);
    if (!ttl) {
      fail(file, entry.field_lines[i],
           fmt::format("expected a TTL (seconds or units like 1h30m, at most {}), found '{}'",
                       kMaxTtl, entry.fields[i].text));
    }
    return *ttl;
  }

  void record(const ZoneEntry& entry, const std::string& file, FileState& state) {
    const size_t n = entry.fields.size();
    size_t i = 0;
    Name owner;
    if (!entry.blank_owner) {
      owner = name_field(entry, 0, file, state.origin);
      state.last_owner = owner;
      i = 1;
    } else if (state.last_owner) {
      owner = *state.last_owner;
    } else {
      fail(file, entry.line,
           "expected an owner name, found a line starting with whitespace and no previous owner");
    }

    // TTL and class, in either order, both optional (RFC 1035 §5.1).
    std::optional<uint32_t> ttl;
    std::optional<uint16_t> rclass;
    while (i < n && !entry.fields[i].quoted) {
      const std::string& text = entry.fields[i].text;
      if (!ttl && starts_with_digit(text)) {
        ttl = ttl_field(entry, i, file);
      } else if (std::optional<uint16_t> c; !rclass && (c = class_from_text(text))) {
        rclass = c;
        if (*c != rclass::IN) {
          fail(file, entry.field_lines[i],
               fmt::format("expected class IN (the only one served), found '{}'", text));
        }
      } else {
        break;
      }
      ++i;
    }
    if (i >= n) {
      fail(file, entry.field_lines[n - 1],
           fmt::format("expected a record type after '{}', found end of line",
                       entry.fields[n - 1].text));
    }
    std::optional<uint16_t> rtype =
        entry.fields[i].quoted ? std::nullopt : type_from_text(entry.fields[i].text);
    if (!rtype) {
      fail(file, entry.field_lines[i],
           fmt::format("expected a record type (A, NS, MX, TYPE65280, ...), found '{}'",
                       entry.fields[i].text));
    }
    if (!is_zone_data_type(*rtype)) {
      fail(file, entry.field_lines[i],
           fmt::format("expected a data record type, found meta type '{}'", entry.fields[i].text));
    }
    ++i;

    Record rec;
    rec.owner = std::move(owner);
    rec.type = *rtype;
    rec.rclass = rclass::IN;
    if (ttl) {
      state.last_ttl = ttl;
      rec.ttl = *ttl;
    } else {
      rec.ttl = state.dollar_ttl.value_or(state.last_ttl.value_or(opts_.default_ttl));
    }
    std::span<const TextToken> rdata_fields(entry.fields.data() + i, n - i);
    try {
      rec.rdata = rdata_from_text(rec.type, rdata_fields, state.origin);
    } catch (const Error& e) {
      fail(file, entry.line,
           fmt::format("bad {} record data: {}", type_to_text(rec.type), e.what()));
    }
    locations_.push_back({&file, entry.line});
    if (!sink_) {
      result_.records.push_back(std::move(rec));
      return;
    }
    pending_.push_back(std::move(rec));
    if (pending_.size() >= batch_records_) hand_over();
  }

  void hand_over() {
    if (pending_.empty()) return;
    auto batch = std::make_shared<const std::vector<Record>>(std::move(pending_));
    pending_ = {};
    pending_.reserve(batch_records_);
    batches_.push_back(batch);
    (*sink_)(std::move(batch));
  }

  const ZoneParseOptions& opts_;
  std::deque<std::string> file_names_;  // stable addresses for RecordLocation
  std::vector<std::string> include_stack_;
  const RecordBatchSink* sink_;
  size_t batch_records_;
  std::vector<Record> pending_;       // with a sink: the batch being filled
  std::vector<RecordBatch> batches_;  // with a sink: every batch handed over, for finish()
  ZoneParseResult result_;
  std::vector<RecordLocation> locations_;
};

}  // namespace

std::optional<uint32_t> parse_ttl(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t total = 0;
  uint64_t number = 0;
  bool have_digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number = number * 10 + static_cast<uint64_t>(c - '0');
      if (number > kMaxTtl) return std::nullopt;
      have_digits = true;
      continue;
    }
    uint64_t unit = 0;
    switch (std::tolower(static_cast<unsigned char>(c))) {
      case 'w':
        unit = 7 * 86400;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return std::nullopt;
    }
    if (!have_digits) return std::nullopt;
    total += number * unit;
    if (total > kMaxTtl) return std::nullopt;
    number = 0;
    have_digits = false;
  }
  total += number;  // trailing digits without a unit are seconds
  if (total > kMaxTtl) return std::nullopt;
  return static_cast<uint32_t>(total);
}

ZoneParseResult parse_master_file(std::string_view text, const std::string& file_name,
                                  const ZoneParseOptions& opts) {
  MasterFileReader reader(opts);
  FileState state;
  state.origin = opts.origin;
  reader.read(text, file_name, std::move(state), 0);
  return reader.finish();
}

ZoneParseResult parse_zone(std::string_view text, const std::string& file_name,
                           const ZoneParseOptions& opts) {
  if (detect_zone_format(text) == ZoneFormat::Prototype) {
    return parse_prototype_zone(text, file_name, opts);
  }
  return parse_master_file(text, file_name, opts);
}

std::vector<ZoneWarning> parse_zone_batches(std::string_view text, const std::string& file_name,
                                            const ZoneParseOptions& opts,
                                            const RecordBatchSink& sink, size_t batch_records) {
  if (detect_zone_format(text) == ZoneFormat::Prototype) {
    // The prototype's files are small; parse whole and hand over in one piece.
    ZoneParseResult parsed = parse_prototype_zone(text, file_name, opts);
    if (!parsed.records.empty())
      sink(std::make_shared<const std::vector<Record>>(std::move(parsed.records)));
    return std::move(parsed.warnings);
  }
  MasterFileReader reader(opts, &sink, batch_records);
  FileState state;
  state.origin = opts.origin;
  reader.read(text, file_name, std::move(state), 0);
  return reader.finish().warnings;
}

std::string print_zone(const std::vector<Record>& records) {
  std::string out;
  for (const Record& r : records) {
    out += to_text(r);
    out += '\n';
  }
  return out;
}

}  // namespace dns
