#pragma once
// Tokenizer for RFC 1035 §5.1 master files: turns text into entries (one logical line each).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/rdata.h"

namespace dns {

// One logical entry of a master file: the fields of one line, or of several lines joined by
// parentheses. Quotes are removed, backslash escapes are kept raw for the consumer to decode.
struct ZoneEntry {
  size_t line = 0;           // physical line where the entry starts
  bool blank_owner = false;  // the line starts with a space or tab: owner = previous owner
  std::vector<TextToken> fields;
  std::vector<size_t> field_lines;  // physical line of each field, for error messages
};

// Reads master-file text one entry at a time, so a large zone is never tokenized all at once.
// Handles `;` comments, `(`...`)` spanning lines, "quoted strings" (with \" inside), backslash
// escapes outside quotes (an escaped space, `;`, `(` or `"` is part of the field) and CRLF line
// ends. Errors throw ZoneError naming file:line.
class ZoneLexer {
 public:
  ZoneLexer(std::string_view text, std::string file_name);

  // The next entry with at least one field, or nullopt at the end of the text.
  std::optional<ZoneEntry> next();
  // Same into `entry`, reusing its buffers (a large file then allocates per field, not per
  // line); false at the end of the text.
  bool next(ZoneEntry& entry);

  const std::string& file_name() const { return file_name_; }

 private:
  [[noreturn]] void fail(size_t line, const std::string& message) const;
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void read_quoted(ZoneEntry& entry);
  void read_word(ZoneEntry& entry);
  void skip_comment();

  std::string_view text_;
  std::string file_name_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace dns
