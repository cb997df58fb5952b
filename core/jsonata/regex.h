#pragma once
// JSONata's regular expressions (/pattern/flags, JavaScript syntax) with a matcher that runs in
// time linear in the text: a Pike VM (Thompson's construction, with threads kept in priority
// order so that the leftmost match is the one JavaScript's backtracking engine would find).
// std::regex is not used: it backtracks, so a hostile pattern like /(a*)*b/ takes exponential
// time, and it recurses once per character, so a long text can exhaust the stack.
//
// Supported: literals and escapes (\n \t \r \f \v \0 \xHH \uHHHH \/ and any escaped
// punctuation), `.`, classes [a-z] [^…] with \d \D \w \W \s \S inside or outside them, anchors
// ^ $ (per line with the m flag), \b \B, groups (…) and (?:…), alternation |, quantifiers
// * + ? {n} {n,} {n,m}, each greedy or lazy (…?). Flags: i (case-insensitive for ASCII
// letters), m (multi-line). Not supported (refused when compiled): back-references,
// look-around, named groups. Positions are byte offsets into UTF-8 text; `.` and classes match
// whole code points.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepd::jsonata {

class Regex {
 public:
  // Throws Error (S0302 … with JSONata-style messages) for a pattern it cannot compile.
  static std::shared_ptr<const Regex> compile(const std::string& pattern, const std::string& flags);

  struct Match {
    size_t begin = 0;
    size_t end = 0;
    // Capturing groups 1…n: byte ranges, or nullopt for a group that did not take part.
    std::vector<std::optional<std::pair<size_t, size_t>>> groups;
  };

  // The leftmost match starting at byte `from` or later, or nullopt.
  std::optional<Match> search(std::string_view text, size_t from = 0) const;

  const std::string& pattern() const { return pattern_; }
  size_t group_count() const { return groups_; }

  struct Inst;

 private:
  Regex() = default;
  std::string pattern_;
  std::vector<Inst> program_;
  size_t groups_ = 0;
  bool icase_ = false;
  bool multiline_ = false;
};

struct Regex::Inst {
  enum class Op { kChar, kAny, kClass, kSplit, kJmp, kSave, kBol, kEol, kWordB, kNotWordB, kMatch };
  Op op = Op::kMatch;
  uint32_t ch = 0;                                    // kChar
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // kClass: inclusive code point ranges
  bool negated = false;                               // kClass
  size_t x = 0;                                       // kSplit (preferred), kJmp, kSave (slot)
  size_t y = 0;                                       // kSplit (the other)
};

}  // namespace stepd::jsonata
