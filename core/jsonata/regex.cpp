#include "core/jsonata/regex.h"

#include <algorithm>

#include "core/common/utf8.h"
#include "core/jsonata/jsonata.h"

namespace stepd::jsonata {

namespace {

// Bounds that keep a compiled pattern small: counted repetition copies its operand.
constexpr size_t kMaxProgram = 20000;
constexpr int kMaxCount = 1000;
constexpr int kMaxNesting = 200;

constexpr uint32_t kNone = 0xFFFFFFFF;

[[noreturn]] void syntax(const std::string& what) {
  throw Error("S0302", 0, "Invalid regular expression: " + what);
}

// The code point at `i` (advancing it); bytes that are not UTF-8 stand for themselves.
uint32_t next_code_point(std::string_view s, size_t& i) {
  uint32_t cp = 0;
  decode_utf8(s, i, cp);
  return cp;
}

uint32_t fold(uint32_t c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

bool is_word(uint32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

const Ranges& digit_ranges() {
  static const Ranges r = {{'0', '9'}};
  return r;
}
const Ranges& word_ranges() {
  static const Ranges r = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
  return r;
}
const Ranges& space_ranges() {
  static const Ranges r = {{'\t', '\r'},     {' ', ' '},       {0xA0, 0xA0},     {0x1680, 0x1680},
                           {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
                           {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
  return r;
}

Ranges complement(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  uint32_t next = 0;
  for (const auto& [lo, hi] : r) {
    if (lo > next) out.push_back({next, lo - 1});
    next = std::max(next, hi + 1);
  }
  if (next <= 0x10FFFF) out.push_back({next, 0x10FFFF});
  return out;
}

// The syntax tree of a pattern.
struct ReNode {
  enum class Kind {
    kEmpty,
    kChar,
    kAny,
    kClass,
    kBol,
    kEol,
    kWordB,
    kNotWordB,
    kGroup,
    kConcat,
    kAlt,
    kRepeat
  };
  Kind kind = Kind::kEmpty;
  uint32_t ch = 0;
  Ranges ranges;
  bool negated = false;
  size_t group = 0;  // kGroup: 1…n
  int min = 0;
  int max = -1;  // -1: unbounded
  bool greedy = true;
  std::vector<ReNode> children;
};

class Parser {
 public:
  explicit Parser(const std::string& p) : p_(p) {}

  ReNode parse() {
    ReNode n = alternation(0);
    if (i_ < p_.size()) syntax("unmatched ')'");
    return n;
  }

  size_t groups = 0;

 private:
  bool more() const { return i_ < p_.size(); }
  char peek() const { return p_[i_]; }

  ReNode alternation(int depth) {
    if (depth > kMaxNesting) syntax("too deeply nested");
    ReNode first = concatenation(depth);
    if (!more() || peek() != '|') return first;
    ReNode alt;
    alt.kind = ReNode::Kind::kAlt;
    alt.children.push_back(std::move(first));
    while (more() && peek() == '|') {
      ++i_;
      alt.children.push_back(concatenation(depth));
    }
    return alt;
  }

  ReNode concatenation(int depth) {
    ReNode seq;
    seq.kind = ReNode::Kind::kConcat;
    while (more() && peek() != '|' && peek() != ')') seq.children.push_back(repetition(depth));
    return seq;
  }

  ReNode repetition(int depth) {
    ReNode atom_node = atom(depth);
    while (more()) {
      int min = 0, max = -1;
      char c = peek();
      if (c == '*') {
        ++i_;
      } else if (c == '+') {
        min = 1;
        ++i_;
      } else if (c == '?') {
        max = 1;
        ++i_;
      } else if (c == '{' && counted(min, max)) {
        // counted() consumed it
      } else {
        break;
      }
      if (atom_node.kind == ReNode::Kind::kBol || atom_node.kind == ReNode::Kind::kEol ||
          atom_node.kind == ReNode::Kind::kWordB || atom_node.kind == ReNode::Kind::kNotWordB) {
        syntax("nothing to repeat");
      }
      ReNode rep;
      rep.kind = ReNode::Kind::kRepeat;
      rep.min = min;
      rep.max = max;
      if (more() && peek() == '?') {
        rep.greedy = false;
        ++i_;
      }
      rep.children.push_back(std::move(atom_node));
      atom_node = std::move(rep);
    }
    return atom_node;
  }

  // {n}, {n,}, {n,m}; a '{' that does not start one is a literal, as in JavaScript.
  bool counted(int& min, int& max) {
    size_t j = i_ + 1;
    auto number = [&](int& out) {
      size_t start = j;
      long v = 0;
      while (j < p_.size() && p_[j] >= '0' && p_[j] <= '9') {
        v = std::min<long>(v * 10 + (p_[j] - '0'), 1'000'000);
        ++j;
      }
      out = static_cast<int>(v);
      return j > start;
    };
    if (!number(min)) return false;
    max = min;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      max = -1;
      if (j < p_.size() && p_[j] != '}' && !number(max)) return false;
    }
    if (j >= p_.size() || p_[j] != '}') return false;
    if (min > kMaxCount || max > kMaxCount) syntax("a count above 1000");
    if (max != -1 && max < min) syntax("numbers out of order in {} quantifier");
    i_ = j + 1;
    return true;
  }

  ReNode atom(int depth) {
    ReNode n;
    size_t at = i_;
    uint32_t c = next_code_point(p_, i_);
    switch (c) {
      case '(': {
        bool capture = true;
        if (i_ < p_.size() && p_[i_] == '?') {
          if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
            capture = false;
            i_ += 2;
          } else {
            syntax("look-around and named groups are not supported");
          }
        }
        size_t index = capture ? ++groups : 0;
        ReNode inner = alternation(depth + 1);
        if (!more() || peek() != ')') syntax("unterminated group");
        ++i_;
        if (!capture) return inner;
        n.kind = ReNode::Kind::kGroup;
        n.group = index;
        n.children.push_back(std::move(inner));
        return n;
      }
      case ')':
        syntax("unmatched ')'");
      case '*':
      case '+':
      case '?':
        syntax("nothing to repeat");
      case '.':
        n.kind = ReNode::Kind::kAny;
        return n;
      case '^':
        n.kind = ReNode::Kind::kBol;
        return n;
      case '$':
        n.kind = ReNode::Kind::kEol;
        return n;
      case '[':
        return char_class();
      case '\\':
        return escape(false);
      default:
        (void)at;
        n.kind = ReNode::Kind::kChar;
        n.ch = c;
        return n;
    }
  }

  // After a backslash. In a class, \b is a backspace and the assertions do not exist.
  ReNode escape(bool in_class) {
    if (!more()) syntax("\\ at end of pattern");
    ReNode n;
    n.kind = ReNode::Kind::kChar;
    uint32_t c = next_code_point(p_, i_);
    auto set = [&](const Ranges& r, bool negate) {
      n.kind = ReNode::Kind::kClass;
      n.ranges = negate ? complement(r) : r;
    };
    switch (c) {
      case 'd':
        set(digit_ranges(), false);
        break;
      case 'D':
        set(digit_ranges(), true);
        break;
      case 'w':
        set(word_ranges(), false);
        break;
      case 'W':
        set(word_ranges(), true);
        break;
      case 's':
        set(space_ranges(), false);
        break;
      case 'S':
        set(space_ranges(), true);
        break;
      case 'b':
        if (in_class) {
          n.ch = '\b';
        } else {
          n.kind = ReNode::Kind::kWordB;
        }
        break;
      case 'B':
        if (in_class) syntax("\\B in a class");
        n.kind = ReNode::Kind::kNotWordB;
        break;
      case 'n':
        n.ch = '\n';
        break;
      case 't':
        n.ch = '\t';
        break;
      case 'r':
        n.ch = '\r';
        break;
      case 'f':
        n.ch = '\f';
        break;
      case 'v':
        n.ch = '\v';
        break;
      case '0':
        n.ch = 0;
        break;
      case 'x':
        n.ch = hex(2);
        break;
      case 'u':
        n.ch = hex(4);
        break;
      default:
        if (c >= '1' && c <= '9') syntax("back-references are not supported");
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
          syntax(std::string("unknown escape \\") + static_cast<char>(c));
        }
        n.ch = c;  // escaped punctuation stands for itself
    }
    return n;
  }

  uint32_t hex(int digits) {
    uint32_t v = 0;
    for (int k = 0; k < digits; ++k) {
      if (!more()) syntax("incomplete hexadecimal escape");
      char h = p_[i_++];
      int d = h >= '0' && h <= '9'   ? h - '0'
              : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                     : -1;
      if (d < 0) syntax("invalid hexadecimal escape");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  ReNode char_class() {
    ReNode n;
    n.kind = ReNode::Kind::kClass;
    if (more() && peek() == '^') {
      n.negated = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (!more()) syntax("unterminated character class");
      if (peek() == ']' && !first) {
        ++i_;
        break;
      }
      if (peek() == ']') {  // "[]" matches nothing, "[^]" anything: as in JavaScript
        ++i_;
        break;
      }
      first = false;
      uint32_t lo = class_atom(n.ranges);
      if (lo == kNone) continue;
      if (more() && peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        uint32_t hi = class_atom(n.ranges);
        if (hi == kNone) {  // [a-\d]: the '-' is literal
          n.ranges.push_back({lo, lo});
          n.ranges.push_back({'-', '-'});
          continue;
        }
        if (hi < lo) syntax("range out of order in character class");
        n.ranges.push_back({lo, hi});
      } else {
        n.ranges.push_back({lo, lo});
      }
    }
    return n;
  }

  // One member of a class: a code point, or kNone after adding a class escape's ranges.
  uint32_t class_atom(Ranges& into) {
    uint32_t c = next_code_point(p_, i_);
    if (c != '\\') return c;
    ReNode e = escape(true);
    if (e.kind == ReNode::Kind::kClass) {
      into.insert(into.end(), e.ranges.begin(), e.ranges.end());
      return kNone;
    }
    return e.ch;
  }

  const std::string& p_;
  size_t i_ = 0;
};

class Compiler {
 public:
  explicit Compiler(std::vector<Regex::Inst>& prog) : prog_(prog) {}

  void emit(const ReNode& n) {
    using K = ReNode::Kind;
    using Op = Regex::Inst::Op;
    switch (n.kind) {
      case K::kEmpty:
        return;
      case K::kChar:
        add(Op::kChar).ch = n.ch;
        return;
      case K::kAny:
        add(Op::kAny);
        return;
      case K::kClass: {
        Regex::Inst& in = add(Op::kClass);
        in.ranges = n.ranges;
        in.negated = n.negated;
        return;
      }
      case K::kBol:
        add(Op::kBol);
        return;
      case K::kEol:
        add(Op::kEol);
        return;
      case K::kWordB:
        add(Op::kWordB);
        return;
      case K::kNotWordB:
        add(Op::kNotWordB);
        return;
      case K::kGroup:
        add(Op::kSave).x = 2 * n.group;
        emit(n.children[0]);
        add(Op::kSave).x = 2 * n.group + 1;
        return;
      case K::kConcat:
        for (const ReNode& c : n.children) emit(c);
        return;
      case K::kAlt: {
        std::vector<size_t> jumps;
        for (size_t k = 0; k + 1 < n.children.size(); ++k) {
          size_t split = prog_.size();
          add(Op::kSplit);
          prog_[split].x = prog_.size();
          emit(n.children[k]);
          jumps.push_back(prog_.size());
          add(Op::kJmp);
          prog_[split].y = prog_.size();
        }
        emit(n.children.back());
        for (size_t j : jumps) prog_[j].x = prog_.size();
        return;
      }
      case K::kRepeat:
        repeat(n);
        return;
    }
  }

 private:
  Regex::Inst& add(Regex::Inst::Op op) {
    if (prog_.size() >= kMaxProgram) syntax("the pattern is too large");
    prog_.push_back({});
    prog_.back().op = op;
    return prog_.back();
  }

  // A split preferring `first_body` when greedy: x is the preferred branch.
  void branch(size_t split, size_t body, size_t out, bool greedy) {
    prog_[split].x = greedy ? body : out;
    prog_[split].y = greedy ? out : body;
  }

  void repeat(const ReNode& n) {
    using Op = Regex::Inst::Op;
    const ReNode& body = n.children[0];
    for (int k = 0; k < n.min; ++k) emit(body);
    if (n.max == -1) {
      size_t split = prog_.size();
      add(Op::kSplit);
      size_t start = prog_.size();
      emit(body);
      add(Op::kJmp).x = split;
      branch(split, start, prog_.size(), n.greedy);
      return;
    }
    std::vector<size_t> splits;
    for (int k = n.min; k < n.max; ++k) {
      splits.push_back(prog_.size());
      add(Op::kSplit);
      prog_[splits.back()].x = prog_.size();  // body follows; fixed below
      emit(body);
    }
    size_t out = prog_.size();
    for (size_t sp : splits) branch(sp, sp + 1, out, n.greedy);
  }

  std::vector<Regex::Inst>& prog_;
};

// ---- the Pike VM

struct Thread {
  size_t pc;
  std::shared_ptr<std::vector<size_t>> caps;  // copied when a Save changes it
};

class Vm {
 public:
  Vm(const std::vector<Regex::Inst>& prog, size_t slots, bool icase, bool multiline,
     std::string_view text)
      : prog_(prog),
        slots_(slots),
        icase_(icase),
        multiline_(multiline),
        text_(text),
        mark_(prog.size(), SIZE_MAX) {}

  std::optional<std::vector<size_t>> run(size_t from) {
    std::vector<Thread> current, next;
    std::optional<std::vector<size_t>> matched;
    size_t pos = from;
    uint64_t generation = 0;
    while (true) {
      if (!matched) {
        auto caps = std::make_shared<std::vector<size_t>>(slots_, SIZE_MAX);
        add(current, {0, caps}, pos, generation);
      }
      if (current.empty() && matched) break;  // else a later start may still match
      size_t after = pos;
      uint32_t c = kNone;
      if (pos < text_.size()) c = next_code_point(text_, after);
      ++generation;
      next.clear();
      for (Thread& t : current) {
        const Regex::Inst& in = prog_[t.pc];
        using Op = Regex::Inst::Op;
        if (in.op == Op::kMatch) {
          matched = *t.caps;
          (*matched)[1] = pos;
          break;  // threads after this one have lower priority
        }
        if (c == kNone) continue;
        bool ok = false;
        switch (in.op) {
          case Op::kChar:
            ok = icase_ ? fold(c) == fold(in.ch) : c == in.ch;
            break;
          case Op::kAny:
            ok = c != '\n' && c != '\r' && c != 0x2028 && c != 0x2029;
            break;
          case Op::kClass:
            ok = in_class(in, c) != in.negated;
            break;
          default:
            break;
        }
        if (ok) add(next, {t.pc + 1, t.caps}, after, generation);
      }
      std::swap(current, next);
      if (pos >= text_.size()) break;  // no character left for the threads that wait for one
      pos = after;
    }
    return matched;
  }

 private:
  bool in_class(const Regex::Inst& in, uint32_t c) const {
    for (const auto& [lo, hi] : in.ranges) {
      if (c >= lo && c <= hi) return true;
      if (icase_) {
        uint32_t f = fold(c);
        uint32_t u = c >= 'a' && c <= 'z' ? c - 32 : c;
        if ((f >= lo && f <= hi) || (u >= lo && u <= hi)) return true;
      }
    }
    return false;
  }

  uint32_t before(size_t pos) const {
    if (pos == 0) return kNone;
    size_t i = pos - 1;
    while (i > 0 && (static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80) --i;
    size_t j = i;
    return next_code_point(text_, j);
  }

  uint32_t at(size_t pos) const {
    if (pos >= text_.size()) return kNone;
    size_t j = pos;
    return next_code_point(text_, j);
  }

  static bool line_break(uint32_t c) {
    return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
  }

  // Follows jumps, splits, saves and assertions from `t` at `pos`, adding the threads that
  // wait for a character (or match) to `list` in priority order. Iterative: a deep chain of
  // splits must not exhaust the stack.
  void add(std::vector<Thread>& list, Thread start, size_t pos, uint64_t generation) {
    std::vector<Thread> stack{std::move(start)};
    while (!stack.empty()) {
      Thread t = std::move(stack.back());
      stack.pop_back();
      if (mark_[t.pc] == generation) continue;
      mark_[t.pc] = generation;
      const Regex::Inst& in = prog_[t.pc];
      using Op = Regex::Inst::Op;
      switch (in.op) {
        case Op::kJmp:
          stack.push_back({in.x, std::move(t.caps)});
          break;
        case Op::kSplit:
          stack.push_back({in.y, t.caps});  // lower priority: explored after x
          stack.push_back({in.x, std::move(t.caps)});
          break;
        case Op::kSave: {
          auto caps = std::make_shared<std::vector<size_t>>(*t.caps);
          (*caps)[in.x] = pos;
          stack.push_back({t.pc + 1, std::move(caps)});
          break;
        }
        case Op::kBol: {
          uint32_t b = before(pos);
          if (b == kNone || (multiline_ && line_break(b))) stack.push_back({t.pc + 1, t.caps});
          break;
        }
        case Op::kEol: {
          uint32_t a = at(pos);
          if (a == kNone || (multiline_ && line_break(a))) stack.push_back({t.pc + 1, t.caps});
          break;
        }
        case Op::kWordB:
        case Op::kNotWordB: {
          uint32_t b = before(pos), a = at(pos);
          bool boundary = (b != kNone && is_word(b)) != (a != kNone && is_word(a));
          if (boundary == (in.op == Op::kWordB)) stack.push_back({t.pc + 1, t.caps});
          break;
        }
        default:
          list.push_back(std::move(t));
      }
    }
  }

  const std::vector<Regex::Inst>& prog_;
  size_t slots_;
  bool icase_;
  bool multiline_;
  std::string_view text_;
  std::vector<uint64_t> mark_;
};

}  // namespace

std::shared_ptr<const Regex> Regex::compile(const std::string& pattern, const std::string& flags) {
  std::shared_ptr<Regex> re(new Regex());
  re->pattern_ = pattern;
  for (char f : flags) {
    if (f == 'i') {
      re->icase_ = true;
    } else if (f == 'm') {
      re->multiline_ = true;
    } else {
      throw Error("S0302", 0, std::string("Invalid regular expression flag '") + f + "'");
    }
  }
  Parser parser(pattern);
  ReNode root = parser.parse();
  re->groups_ = parser.groups;
  // Slots 0 and 1 are the whole match: a leading Save records where the winning thread
  // started, and the VM records the end when it reaches Match.
  re->program_.push_back({});
  re->program_.back().op = Inst::Op::kSave;
  re->program_.back().x = 0;
  Compiler compiler(re->program_);
  compiler.emit(root);
  re->program_.push_back({});
  re->program_.back().op = Inst::Op::kMatch;
  return re;
}

std::optional<Regex::Match> Regex::search(std::string_view text, size_t from) const {
  Vm vm(program_, 2 * (groups_ + 1), icase_, multiline_, text);
  std::optional<std::vector<size_t>> caps = vm.run(from);
  if (!caps) return std::nullopt;
  Match m;
  m.begin = (*caps)[0];
  m.end = (*caps)[1];
  for (size_t g = 1; g <= groups_; ++g) {
    size_t b = (*caps)[2 * g], e = (*caps)[2 * g + 1];
    if (b == SIZE_MAX || e == SIZE_MAX) {
      m.groups.push_back(std::nullopt);
    } else {
      m.groups.push_back(std::make_pair(b, e));
    }
  }
  return m;
}

}  // namespace stepd::jsonata
