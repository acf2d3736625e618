#include "dns/zone_lexer.h"

#include <fmt/format.h>

#include "dns/zone_error.h"

namespace dns {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// Characters that end an unquoted field.
bool ends_word(char c) {
  return is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"';
}

}  // namespace

ZoneLexer::ZoneLexer(std::string_view text, std::string file_name)
    : text_(text), file_name_(std::move(file_name)) {}

void ZoneLexer::fail(size_t line, const std::string& message) const {
  throw ZoneError(file_name_, line, message);
}

void ZoneLexer::skip_comment() {
  while (!at_end() && peek() != '\n') ++pos_;
}

// Escapes stay raw, so a field is always one contiguous piece of the text.
void ZoneLexer::read_quoted(ZoneEntry& entry) {
  const size_t start_line = line_;
  const size_t start = ++pos_;  // after the opening quote
  for (;;) {
    if (at_end() || peek() == '\n') {
      fail(start_line, "expected a closing '\"', found end of line inside a quoted string");
    }
    char c = text_[pos_++];
    if (c == '"') break;
    if (c == '\\') {
      if (at_end() || peek() == '\n') {
        fail(start_line, "expected a character after '\\', found end of line");
      }
      ++pos_;
    }
  }
  entry.fields.push_back({std::string(text_.substr(start, pos_ - 1 - start)), true});
  entry.field_lines.push_back(start_line);
}

void ZoneLexer::read_word(ZoneEntry& entry) {
  const size_t start = pos_;
  while (!at_end() && !ends_word(peek())) {
    if (text_[pos_++] == '\\') {
      if (at_end() || peek() == '\n') {
        fail(line_, "expected a character after '\\', found end of line");
      }
      ++pos_;
    }
  }
  entry.fields.push_back({std::string(text_.substr(start, pos_ - start)), false});
  entry.field_lines.push_back(line_);
}

std::optional<ZoneEntry> ZoneLexer::next() {
  ZoneEntry entry;
  if (!next(entry)) return std::nullopt;
  return entry;
}

bool ZoneLexer::next(ZoneEntry& entry) {
  while (!at_end()) {
    entry.fields.clear();
    entry.field_lines.clear();
    entry.line = line_;
    entry.blank_owner = peek() == ' ' || peek() == '\t';
    size_t open_paren_line = 0;  // 0 = not inside parentheses
    for (;;) {
      if (at_end()) {
        if (open_paren_line != 0) {
          fail(open_paren_line, "expected ')' to close this '(', found end of file");
        }
        break;
      }
      char c = peek();
      if (c == '\n') {
        ++pos_;
        ++line_;
        if (open_paren_line == 0) break;
      } else if (is_blank(c)) {
        ++pos_;
      } else if (c == ';') {
        skip_comment();
      } else if (c == '(') {
        if (open_paren_line != 0) {
          fail(line_, fmt::format("expected ')' to close the '(' of line {}, found another '('",
                                  open_paren_line));
        }
        open_paren_line = line_;
        ++pos_;
      } else if (c == ')') {
        if (open_paren_line == 0) fail(line_, "found ')' without a matching '('");
        open_paren_line = 0;
        ++pos_;
      } else if (c == '"') {
        read_quoted(entry);
      } else {
        read_word(entry);
      }
    }
    if (!entry.fields.empty()) return true;
  }
  return false;
}

}  // namespace dns
