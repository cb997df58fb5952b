#include "core/sql/statement_splitter.h"

namespace stepd::sql {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// PostgreSQL treats every byte of a multibyte UTF-8 character as a letter in identifiers.
bool is_ident_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

bool is_tag_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

// Inside an identifier (but not at its start) a dollar sign is an ordinary character: foo$bar.
bool is_ident_char(char c) {
  return is_tag_char(c) || c == '$';
}

class Splitter {
 public:
  Splitter(std::string_view script, SplitOptions options) : s_(script), options_(options) {}

  std::vector<ScriptStatement> run() {
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (s_.substr(0, kBom.size()) == kBom) i_ = kBom.size();
    while (i_ < s_.size()) step();
    finish_statement(s_.size());
    return std::move(out_);
  }

 private:
  char peek(size_t ahead) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }

  void step() {
    char c = s_[i_];
    if (c == '\n') {
      ++line_;
      ++i_;
      return;
    }
    if (is_space(c)) {
      ++i_;
      return;
    }
    if (c == '-' && peek(1) == '-') {  // up to, not including, the line break
      while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      return;
    }
    if (c == '/' && peek(1) == '*') {
      skip_block_comment();
      return;
    }
    if (c == ';' && paren_depth_ == 0) {
      finish_statement(i_);
      ++i_;
      return;
    }
    if (start_ == std::string_view::npos) {
      start_ = i_;
      start_line_ = line_;
    }
    bool continues_word = word_end_ == i_;
    switch (c) {
      case '\'': {
        // E'...' (or e'...') is an escape string only when the E is a word of its own.
        bool escapes =
            options_.backslash_escapes || (continues_word && i_ - word_start_ == 1 &&
                                           (s_[word_start_] == 'E' || s_[word_start_] == 'e'));
        skip_quoted('\'', escapes, "quoted string");
        return;
      }
      case '"':
        skip_quoted('"', false, "quoted identifier");
        return;
      case '$':
        if (!continues_word && skip_dollar_quoted()) return;
        break;
      case '(':
        ++paren_depth_;
        break;
      case ')':
        if (paren_depth_ > 0) --paren_depth_;
        break;
      default:
        break;
    }
    if (is_ident_char(c) && (c != '$' || continues_word)) {
      if (!continues_word) word_start_ = i_;
      word_end_ = i_ + 1;
    }
    ++i_;
  }

  void finish_statement(size_t end) {
    if (start_ == std::string_view::npos) return;
    std::string_view text = s_.substr(start_, end - start_);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    out_.push_back({std::string(text), start_line_, start_});
    start_ = std::string_view::npos;
    paren_depth_ = 0;
  }

  void skip_block_comment() {
    int begin_line = line_;
    int depth = 0;
    while (i_ < s_.size()) {
      if (s_[i_] == '/' && peek(1) == '*') {
        ++depth;
        i_ += 2;
      } else if (s_[i_] == '*' && peek(1) == '/') {
        i_ += 2;
        if (--depth == 0) return;
      } else {
        if (s_[i_] == '\n') ++line_;
        ++i_;
      }
    }
    fail("unterminated block comment", begin_line);
  }

  // The opening quote is at i_; a doubled quote stands for one, and with backslash escapes on
  // a backslash takes the next character (a quote or another backslash) as data.
  void skip_quoted(char quote, bool backslash_escapes, const char* what) {
    int begin_line = line_;
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\n') ++line_;
      if (backslash_escapes && c == '\\' && i_ + 1 < s_.size()) {
        if (s_[i_ + 1] == '\n') ++line_;
        i_ += 2;
        continue;
      }
      ++i_;
      if (c == quote) {
        if (i_ < s_.size() && s_[i_] == quote) {
          ++i_;
          continue;
        }
        word_end_ = std::string_view::npos;
        return;
      }
    }
    fail(std::string("unterminated ") + what, begin_line);
  }

  // At a '$' that does not continue a word: $$ or $tag$ opens a dollar-quoted string that ends
  // at the next identical tag. Anything else ($1, a lone $) is left to the caller.
  bool skip_dollar_quoted() {
    size_t j = i_ + 1;
    if (j < s_.size() && is_ident_start(s_[j])) {
      while (j < s_.size() && is_tag_char(s_[j])) ++j;
    }
    if (j >= s_.size() || s_[j] != '$') return false;
    std::string_view tag = s_.substr(i_, j + 1 - i_);
    size_t close = s_.find(tag, j + 1);
    if (close == std::string_view::npos) {
      fail("unterminated dollar-quoted string (" + std::string(tag) + ")", line_);
    }
    for (size_t k = j + 1; k < close; ++k) {
      if (s_[k] == '\n') ++line_;
    }
    i_ = close + tag.size();
    word_end_ = std::string_view::npos;
    return true;
  }

  [[noreturn]] void fail(const std::string& what, int line) {
    throw SqlScriptError(what + " starting at line " + std::to_string(line), line);
  }

  std::string_view s_;
  std::vector<ScriptStatement> out_;
  size_t i_ = 0;
  int line_ = 1;
  size_t start_ = std::string_view::npos;  // first token of the statement being read
  int start_line_ = 1;
  int paren_depth_ = 0;
  // The run of identifier characters that ended last, [word_start_, word_end_).
  SplitOptions options_;
  size_t word_start_ = std::string_view::npos;
  size_t word_end_ = std::string_view::npos;
};

}  // namespace

std::vector<ScriptStatement> split_statements(std::string_view script, SplitOptions options) {
  return Splitter(script, options).run();
}

}  // namespace stepd::sql
