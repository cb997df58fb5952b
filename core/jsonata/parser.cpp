// Tokenizer and Pratt (top-down operator precedence) parser for JSONata expressions.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/common/utf8.h"
#include "core/jsonata/ast.h"
#include "core/jsonata/jsonata.h"
#include "core/jsonata/regex.h"
#include "core/jsonata/signature.h"

namespace stepd::jsonata {
namespace {

enum class TokenType { End, Name, Variable, String, Number, Value, Regex, Op };

struct Token {
  TokenType type = TokenType::End;
  std::string value;
  std::string flags;  // regex flags
  double number = 0;
  size_t end = 0;  // byte offset just past the token
};

// Nesting deeper than this is refused at parse time, before the recursive descent can exhaust
// the native stack.
constexpr int kMaxParseDepth = 200;
constexpr size_t kMaxTreeHeight = 1000;

bool is_op_char(char c) {
  switch (c) {
    case '.':
    case '[':
    case ']':
    case '{':
    case '}':
    case '(':
    case ')':
    case ',':
    case '@':
    case '#':
    case ';':
    case ':':
    case '?':
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
    case '|':
    case '=':
    case '<':
    case '>':
    case '^':
    case '&':
    case '!':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : src_(text) {}

  NodePtr parse_all() {
    advance();
    NodePtr root = expression(0);
    if (cur_.type != TokenType::End) fail("S0201", cur_, "Syntax error: \"" + cur_.value + "\"");
    return root;
  }

 private:
  // --- errors -------------------------------------------------------------------------------

  size_t chars_to(size_t byte_offset) const {
    size_t n = 0;
    for (size_t i = 0; i < byte_offset && i < src_.size(); ++i) {
      if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) ++n;
    }
    return n;
  }

  [[noreturn]] void fail_at(const char* code, size_t byte_offset, std::string message) const {
    throw Error(code, chars_to(byte_offset), std::move(message));
  }
  [[noreturn]] void fail(const char* code, const Token& t, std::string message) const {
    fail_at(code, t.end, std::move(message));
  }

  // --- tokenizer ----------------------------------------------------------------------------

  // A `/` starts a regex when it cannot be division: at the start or after an operator that
  // leaves an operand to come.
  bool regex_allowed() const {
    if (prev_type_ == TokenType::End) return true;
    if (prev_type_ != TokenType::Op) return false;
    return prev_value_ != ")" && prev_value_ != "]" && prev_value_ != "}";
  }

  Token lex() {
    // whitespace and comments
    for (;;) {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
      if (pos_ + 1 < src_.size() && src_[pos_] == '/' && src_[pos_ + 1] == '*') {
        size_t close = src_.find("*/", pos_ + 2);
        if (close == std::string_view::npos)
          fail_at("S0106", src_.size(), "Comment has no closing tag");
        pos_ = close + 2;
        continue;
      }
      break;
    }
    Token t;
    if (pos_ >= src_.size()) {
      t.end = pos_;
      return t;
    }
    const char c = src_[pos_];
    if (c == '/' && regex_allowed()) return lex_regex();
    if (c == '"' || c == '\'') return lex_string(c);
    if (c == '`') {
      size_t close = src_.find('`', pos_ + 1);
      if (close == std::string_view::npos)
        fail_at("S0105", src_.size(),
                "Quoted property name must be terminated with a backquote (`)");
      t.type = TokenType::Name;
      t.value = std::string(src_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      t.end = pos_;
      return t;
    }
    if (c >= '0' && c <= '9') return lex_number();
    if (is_op_char(c)) {
      static constexpr std::string_view kTwo[] = {"..", ":=", "!=", ">=", "<=", "**", "~>"};
      t.type = TokenType::Op;
      for (std::string_view two : kTwo) {
        if (src_.substr(pos_, 2) == two) {
          t.value = std::string(two);
          pos_ += 2;
          t.end = pos_;
          return t;
        }
      }
      t.value = std::string(1, c);
      ++pos_;
      t.end = pos_;
      return t;
    }
    // names and variables run to the next operator character or whitespace
    const bool variable = c == '$';
    size_t start = variable ? pos_ + 1 : pos_;
    size_t i = start;
    while (i < src_.size() && !is_space(src_[i]) && !is_op_char(src_[i]) && src_[i] != '"' &&
           src_[i] != '\'' && src_[i] != '`') {
      ++i;
    }
    if (variable && i == start && i < src_.size() && src_[i] == '$') ++i;  // `$$`
    t.value = std::string(src_.substr(start, i - start));
    pos_ = i;
    t.end = pos_;
    if (variable) {
      t.type = TokenType::Variable;
    } else if (t.value == "true" || t.value == "false" || t.value == "null") {
      t.type = TokenType::Value;
    } else {
      t.type = TokenType::Name;
    }
    return t;
  }

  Token lex_string(char quote) {
    Token t;
    t.type = TokenType::String;
    size_t i = pos_ + 1;
    for (;;) {
      if (i >= src_.size())
        fail_at("S0101", src_.size(), "String literal must be terminated by a matching quote");
      char c = src_[i];
      if (c == quote) break;
      if (c != '\\') {
        t.value += c;
        ++i;
        continue;
      }
      if (i + 1 >= src_.size())
        fail_at("S0101", src_.size(), "String literal must be terminated by a matching quote");
      char e = src_[i + 1];
      i += 2;
      switch (e) {
        case '"':
          t.value += '"';
          break;
        case '\'':
          t.value += '\'';
          break;
        case '\\':
          t.value += '\\';
          break;
        case '/':
          t.value += '/';
          break;
        case 'b':
          t.value += '\b';
          break;
        case 'f':
          t.value += '\f';
          break;
        case 'n':
          t.value += '\n';
          break;
        case 'r':
          t.value += '\r';
          break;
        case 't':
          t.value += '\t';
          break;
        case 'u': {
          uint32_t cp = read_hex4(i);
          i += 4;
          // a UTF-16 surrogate pair written as two escapes
          if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < src_.size() && src_[i] == '\\' &&
              src_[i + 1] == 'u') {
            uint32_t low = read_hex4(i + 2);
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              i += 6;
            }
          }
          // a lone surrogate has no UTF-8 form: it becomes U+FFFD, so output stays valid JSON
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          append_utf8(t.value, cp);
          break;
        }
        default:
          fail_at("S0103", i, std::string("Unsupported escape sequence: \\") + e);
      }
    }
    pos_ = i + 1;
    t.end = pos_;
    return t;
  }

  uint32_t read_hex4(size_t at) const {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      char h = at + k < src_.size() ? src_[at + k] : '\0';
      int d = (h >= '0' && h <= '9')   ? h - '0'
              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                       : -1;
      if (d < 0) fail_at("S0104", at, "The escape sequence \\u must be followed by 4 hex digits");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  Token lex_number() {
    size_t i = pos_;
    auto digits = [&] {
      while (i < src_.size() && src_[i] >= '0' && src_[i] <= '9') ++i;
    };
    digits();
    if (i + 1 < src_.size() && src_[i] == '.' && src_[i + 1] >= '0' && src_[i + 1] <= '9') {
      ++i;
      digits();
    }
    if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
      size_t j = i + 1;
      if (j < src_.size() && (src_[j] == '+' || src_[j] == '-')) ++j;
      if (j < src_.size() && src_[j] >= '0' && src_[j] <= '9') {
        i = j;
        digits();
      }
    }
    Token t;
    t.type = TokenType::Number;
    t.value = std::string(src_.substr(pos_, i - pos_));
    t.number = std::strtod(t.value.c_str(), nullptr);
    pos_ = i;
    t.end = pos_;
    if (!std::isfinite(t.number)) fail("S0102", t, "Number out of range: " + t.value);
    return t;
  }

  Token lex_regex() {
    size_t i = pos_ + 1;
    for (;;) {
      if (i >= src_.size()) fail_at("S0302", src_.size(), "No terminating / in regular expression");
      if (src_[i] == '\\') {
        i += 2;
        continue;
      }
      if (src_[i] == '/') break;
      ++i;
    }
    Token t;
    t.type = TokenType::Regex;
    t.value = std::string(src_.substr(pos_ + 1, i - pos_ - 1));
    ++i;
    while (i < src_.size() && src_[i] >= 'a' && src_[i] <= 'z') t.flags += src_[i++];
    pos_ = i;
    t.end = pos_;
    if (t.value.empty()) fail("S0301", t, "Empty regular expressions are not allowed");
    return t;
  }

  void advance() {
    cur_ = lex();
    prev_type_ = cur_.type;
    prev_value_ = cur_.value;
  }

  bool at_op(std::string_view op) const { return cur_.type == TokenType::Op && cur_.value == op; }

  void expect(std::string_view op) {
    if (cur_.type == TokenType::End) {
      fail("S0203", cur_, "Expected \"" + std::string(op) + "\" before end of expression");
    }
    if (!at_op(op)) {
      fail("S0202", cur_, "Expected \"" + std::string(op) + "\", got \"" + cur_.value + "\"");
    }
    advance();
  }

  // --- Pratt parser --------------------------------------------------------------------------

  // Left binding power of the current token as an infix/postfix operator.
  int lbp(const Token& t) const {
    if (t.type == TokenType::Name) {
      if (t.value == "and") return 30;
      if (t.value == "or") return 25;
      if (t.value == "in") return 40;
      return 0;
    }
    if (t.type != TokenType::Op) return 0;
    const std::string& v = t.value;
    if (v == "[" || v == "(" || v == "@" || v == "#") return 80;
    if (v == ".") return 75;
    if (v == "{") return 70;
    if (v == "*" || v == "/" || v == "%") return 60;
    if (v == "+" || v == "-" || v == "&") return 50;
    if (v == "=" || v == "!=" || v == "<" || v == "<=" || v == ">" || v == ">=" || v == "~>" ||
        v == "^") {
      return 40;
    }
    if (v == "?" || v == "..") return 20;
    if (v == ":=") return 10;
    return 0;
  }

  NodePtr make(NodeKind kind, const Token& t) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->position = chars_to(t.end);
    return n;
  }

  NodePtr expression(int rbp) {
    if (++depth_ > kMaxParseDepth) fail("U1001", cur_, "Expression nests too deeply");
    Token t = cur_;
    advance();
    NodePtr left = finish(nud(t));
    while (rbp < lbp(cur_)) {
      Token op = cur_;
      advance();
      left = led(op, std::move(left));
    }
    --depth_;
    return left;
  }

  NodePtr nud(const Token& t) {
    switch (t.type) {
      case TokenType::End:
        fail("S0207", t, "Unexpected end of expression");
      case TokenType::Number: {
        auto n = make(NodeKind::Number, t);
        n->number = t.number;
        return n;
      }
      case TokenType::String: {
        auto n = make(NodeKind::String, t);
        n->text = t.value;
        return n;
      }
      case TokenType::Value: {
        if (t.value == "null") return make(NodeKind::Null, t);
        auto n = make(NodeKind::Bool, t);
        n->flag = t.value == "true";
        return n;
      }
      case TokenType::Regex: {
        auto n = make(NodeKind::Regex, t);
        n->text = t.value;
        n->flags = t.flags;
        try {
          n->regex = Regex::compile(t.value, t.flags);
        } catch (const Error& e) {
          throw Error(e.code, t.end, e.message);
        }
        return n;
      }
      case TokenType::Variable: {
        auto n = make(NodeKind::Variable, t);
        n->text = t.value;
        return n;
      }
      case TokenType::Name: {
        if ((t.value == "function" || t.value == "\xCE\xBB") && at_op("(")) return lambda(t);
        auto n = make(NodeKind::Name, t);
        n->text = t.value;
        return n;
      }
      case TokenType::Op:
        break;
    }
    const std::string& v = t.value;
    if (v == "-") {
      auto n = make(NodeKind::Negate, t);
      n->children.push_back(expression(70));
      return n;
    }
    if (v == "*") return make(NodeKind::Wildcard, t);
    if (v == "**") return make(NodeKind::Descendant, t);
    if (v == "%") return make(NodeKind::Parent, t);
    if (v == "(") {
      auto n = make(NodeKind::Block, t);
      while (!at_op(")")) {
        n->children.push_back(expression(0));
        if (!at_op(";")) break;
        advance();
      }
      expect(")");
      return n;
    }
    if (v == "[") {
      auto n = make(NodeKind::Array, t);
      if (!at_op("]")) {
        for (;;) {
          n->children.push_back(expression(0));
          if (!at_op(",")) break;
          advance();
        }
      }
      expect("]");
      return n;
    }
    if (v == "{") {
      auto n = make(NodeKind::Object, t);
      object_pairs(*n);
      return n;
    }
    if (v == "|") {  // the transform operator `| location | update [, delete] |`
      auto n = make(NodeKind::Transform, t);
      n->children.push_back(expression(0));
      expect("|");
      n->children.push_back(expression(0));
      if (at_op(",")) {
        advance();
        n->children.push_back(expression(0));
      }
      expect("|");
      return n;
    }
    fail("S0211", t, "The symbol \"" + v + "\" cannot be used as a unary operator");
  }

  void object_pairs(Node& n) {
    if (!at_op("}")) {
      for (;;) {
        NodePtr key = expression(0);
        expect(":");
        NodePtr value = expression(0);
        n.pairs.emplace_back(std::move(key), std::move(value));
        if (!at_op(",")) break;
        advance();
      }
    }
    expect("}");
  }

  // A type signature after a lambda's parameters, `<n-n:n>`. As jsonata-js does, it is read as
  // tokens up to the matching `>` (or a `{`, which is an error) and their text joined without
  // the whitespace between them.
  std::shared_ptr<const Signature> signature() {
    const size_t at = chars_to(cur_.end);  // just past the `<`
    std::string text = "<";
    int depth = 1;
    while (depth > 0 && !at_op("{") && cur_.type != TokenType::End) {
      advance();
      if (at_op(">")) {
        --depth;
      } else if (at_op("<")) {
        ++depth;
      }
      text += cur_.value;
    }
    expect(">");
    return Signature::parse(text, at);
  }

  NodePtr lambda(const Token& t) {
    auto n = make(NodeKind::Lambda, t);
    expect("(");
    if (!at_op(")")) {
      for (;;) {
        if (cur_.type != TokenType::Variable) {
          fail("S0208", cur_,
               "Parameter \"" + cur_.value +
                   "\" of function definition must be a variable name (start with $)");
        }
        n->params.push_back(cur_.value);
        advance();
        if (!at_op(",")) break;
        advance();
      }
    }
    expect(")");
    if (at_op("<")) n->signature = signature();
    expect("{");
    n->children.push_back(expression(0));
    expect("}");
    return n;
  }

  static NodePtr to_path(NodePtr node) {
    if (node->kind == NodeKind::Path) return node;
    auto path = std::make_unique<Node>();
    path->kind = NodeKind::Path;
    path->position = node->position;
    path->children.push_back(std::move(node));
    return path;
  }

  // Refuses trees taller than kMaxTreeHeight. Left-associative chains (1+1+1+...) are parsed
  // without recursion but would make evaluation and destruction recurse once per operator.
  NodePtr finish(NodePtr n) {
    size_t h = 0;
    for (const auto& c : n->children) h = std::max(h, c->height);
    for (const auto& [k, v] : n->pairs) h = std::max({h, k->height, v->height});
    n->height = h + 1;
    if (n->height > kMaxTreeHeight) {
      throw Error("U1001", n->position, "Expression nests too deeply");
    }
    return n;
  }

  NodePtr led(const Token& t, NodePtr left) { return finish(led_node(t, std::move(left))); }

  // `wrapper` (a predicate, `@` or `#`, its operand still to add) applied to `subject`. After a
  // path (one that ends with `[]` or an order-by) it belongs to the path's last step, as in
  // jsonata-js, and the path stays one path.
  NodePtr attach_to_last_step(NodePtr subject, NodePtr wrapper) {
    if (subject->kind != NodeKind::Path) {
      wrapper->children.insert(wrapper->children.begin(), std::move(subject));
      return wrapper;
    }
    NodePtr& last = subject->children.back();
    wrapper->children.insert(wrapper->children.begin(), std::move(last));
    last = finish(std::move(wrapper));
    return subject;
  }

  NodePtr led_node(const Token& t, NodePtr left) {
    const std::string& v = t.value;
    if (t.type == TokenType::Name) {  // and, or, in
      auto n = make(NodeKind::Binary, t);
      n->text = v;
      n->children.push_back(std::move(left));
      n->children.push_back(expression(lbp(t)));
      return n;
    }
    if (v == ".") {
      NodePtr path = to_path(std::move(left));
      NodePtr rhs = expression(75);
      if (rhs->kind == NodeKind::Path) {
        path->flag = path->flag || rhs->flag;
        for (auto& step : rhs->children) path->children.push_back(std::move(step));
      } else {
        path->children.push_back(std::move(rhs));
      }
      // Within a path a string literal is a field name ("Product Name"), and other literals
      // cannot be steps at all.
      for (auto& step : path->children) {
        if (step->kind == NodeKind::String) {
          step->kind = NodeKind::Name;
        } else if (step->kind == NodeKind::Number || step->kind == NodeKind::Bool ||
                   step->kind == NodeKind::Null) {
          fail("S0213", t, "A literal value cannot be used as a step within a path expression");
        }
      }
      return finish(std::move(path));
    }
    if (v == "[") {
      if (at_op("]")) {  // `[]`: keep singleton arrays
        advance();
        NodePtr path = to_path(std::move(left));
        path->flag = true;
        return path;
      }
      auto n = make(NodeKind::Filter, t);
      n->children.push_back(expression(0));
      expect("]");
      return attach_to_last_step(std::move(left), std::move(n));
    }
    if (v == "{") {
      auto n = make(NodeKind::GroupBy, t);
      n->children.push_back(std::move(left));
      object_pairs(*n);
      return n;
    }
    if (v == "(") {
      auto n = make(NodeKind::Call, t);
      n->children.push_back(std::move(left));
      if (!at_op(")")) {
        for (;;) {
          if (at_op("?")) {
            n->children.push_back(make(NodeKind::Placeholder, cur_));
            advance();
          } else {
            n->children.push_back(expression(0));
          }
          if (!at_op(",")) break;
          advance();
        }
      }
      expect(")");
      return n;
    }
    if (v == "^") {
      // As in jsonata-js, the order-by is a step of the path on its left (so that bindings made
      // by the steps before it reach its terms and the steps after it).
      NodePtr path = to_path(std::move(left));
      auto n = make(NodeKind::Sort, t);
      expect("(");
      for (;;) {
        bool desc = false;
        if (at_op("<") || at_op(">")) {
          desc = cur_.value == ">";
          advance();
        }
        n->children.push_back(expression(0));
        n->descending.push_back(desc);
        if (!at_op(",")) break;
        advance();
      }
      expect(")");
      path->children.push_back(finish(std::move(n)));
      return path;
    }
    if (v == "?") {
      auto n = make(NodeKind::Condition, t);
      n->children.push_back(std::move(left));
      n->children.push_back(expression(0));
      if (at_op(":")) {
        advance();
        n->children.push_back(expression(0));
      }
      return n;
    }
    if (v == ":=") {
      if (left->kind != NodeKind::Variable) {
        fail("S0212", t, "The left side of := must be a variable name (start with $)");
      }
      auto n = make(NodeKind::Assign, t);
      n->text = left->text;
      n->children.push_back(expression(9));  // right-associative
      return n;
    }
    if (v == "~>") {
      auto n = make(NodeKind::Apply, t);
      n->children.push_back(std::move(left));
      n->children.push_back(expression(40));
      return n;
    }
    if (v == "..") {
      auto n = make(NodeKind::Range, t);
      n->children.push_back(std::move(left));
      n->children.push_back(expression(20));
      return n;
    }
    if (v == "@" || v == "#") {
      if (cur_.type != TokenType::Variable) {
        fail("S0214", cur_, "The right side of " + v + " must be a variable name (start with $)");
      }
      auto n = make(v == "@" ? NodeKind::Focus : NodeKind::Index, t);
      n->text = cur_.value;
      advance();
      return attach_to_last_step(std::move(left), std::move(n));
    }
    auto n = make(NodeKind::Binary, t);
    n->text = v;
    n->children.push_back(std::move(left));
    n->children.push_back(expression(lbp(t)));
    return n;
  }

  std::string_view src_;
  size_t pos_ = 0;
  Token cur_;
  TokenType prev_type_ = TokenType::End;
  std::string prev_value_;
  int depth_ = 0;
};

}  // namespace

NodePtr parse_expression(std::string_view text) {
  NodePtr root = Parser(text).parse_all();
  resolve_parents(*root);
  return root;
}

}  // namespace stepd::jsonata
