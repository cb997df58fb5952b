#include "core/asl/json_path.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/common/states_error.h"

namespace stepd::asl {

namespace json_path_detail {

// One operand of a filter comparison: a literal, or a path relative to the element (@) or to
// the document root ($).
struct Operand {
  enum class Kind { kLiteral, kRelative, kAbsolute };
  Kind kind = Kind::kLiteral;
  Json literal;
  std::shared_ptr<JsonPath> path;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct FilterExpr {
  enum class Kind { kOr, kAnd, kNot, kExists, kCompare };
  Kind kind = Kind::kExists;
  std::shared_ptr<FilterExpr> lhs;  // kOr, kAnd, kNot
  std::shared_ptr<FilterExpr> rhs;  // kOr, kAnd
  Operand a;                        // kExists, kCompare
  Operand b;                        // kCompare
  CompareOp op = CompareOp::kEq;

  bool matches(const Json& item, const Json& root) const;
};

struct Segment {
  enum class Kind { kName, kNames, kIndex, kIndices, kSlice, kWildcard, kFilter };
  Kind kind = Kind::kName;
  bool deep = false;  // written after "..": applies at every level below
  std::vector<std::string> names;
  std::vector<int64_t> indices;
  std::optional<int64_t> slice_start;
  std::optional<int64_t> slice_end;
  int64_t slice_step = 1;
  std::shared_ptr<FilterExpr> filter;
};

}  // namespace json_path_detail

using json_path_detail::CompareOp;
using json_path_detail::FilterExpr;
using json_path_detail::Operand;
using json_path_detail::Segment;

JsonPath::JsonPath() = default;
JsonPath::JsonPath(const JsonPath&) = default;
JsonPath& JsonPath::operator=(const JsonPath&) = default;
JsonPath::JsonPath(JsonPath&&) noexcept = default;
JsonPath& JsonPath::operator=(JsonPath&&) noexcept = default;
JsonPath::~JsonPath() = default;

// ---------------------------------------------------------------------------------------------
// Parsing

class JsonPathParser {
 public:
  // `in_filter`: the path is an operand inside [?( )]; names then also end at spaces, operators
  // and parentheses, and the path may start with "@".
  JsonPathParser(std::string_view text, bool in_filter) : s_(text), in_filter_(in_filter) {}

  JsonPath parse_path() {
    JsonPath path;
    if (pos_ >= s_.size() || !(s_[pos_] == '$' || (in_filter_ && s_[pos_] == '@'))) {
      fail("a path must start with '$'");
    }
    ++pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '.') {
        bool deep = pos_ + 1 < s_.size() && s_[pos_ + 1] == '.';
        pos_ += deep ? 2 : 1;
        if (pos_ >= s_.size()) fail("the path ends after '.'");
        if (s_[pos_] == '[') {
          if (!deep) fail("unexpected '[' after '.'");
          Segment seg = parse_bracket();
          seg.deep = true;
          path.segments_.push_back(std::move(seg));
          continue;
        }
        Segment seg;
        seg.deep = deep;
        if (s_[pos_] == '*') {
          ++pos_;
          seg.kind = Segment::Kind::kWildcard;
        } else {
          seg.kind = Segment::Kind::kName;
          seg.names.push_back(parse_dot_name());
        }
        path.segments_.push_back(std::move(seg));
      } else if (c == '[') {
        path.segments_.push_back(parse_bracket());
      } else if (in_filter_ && ends_filter_path(c)) {
        break;
      } else {
        fail(std::string("unexpected character '") + c + "'");
      }
    }
    // Several names in one bracket merge into one object; Jayway allows that only as the last
    // step ("Multi properties can only be used as path leafs").
    for (size_t i = 0; i + 1 < path.segments_.size(); ++i) {
      if (path.segments_[i].kind == Segment::Kind::kNames) {
        fail("several property names in brackets can only be used as the last step");
      }
    }
    path.text_ = std::string(s_.substr(0, pos_));
    return path;
  }

  size_t pos() const { return pos_; }

  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("Invalid JSONPath '" + std::string(s_) + "': " + why +
                                " (at index " + std::to_string(pos_) + ")");
  }

 private:
  static bool ends_filter_path(char c) {
    return c == ' ' || c == '\t' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' ||
           c == '&' || c == '|';
  }

  std::string parse_dot_name() {
    size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '.' || c == '[') break;
      if (in_filter_ && ends_filter_path(c)) break;
      if (c == '(') fail("functions are not supported in paths");
      ++pos_;
    }
    if (pos_ == start) fail("empty property name");
    return std::string(s_.substr(start, pos_ - start));
  }

  void skip_spaces() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }

  void expect(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  // A quoted name, taken verbatim (see the header for why backslashes are kept).
  std::string parse_quoted() {
    char quote = s_[pos_++];
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ >= s_.size()) fail("unterminated quoted name");
    std::string name(s_.substr(start, pos_ - start));
    ++pos_;
    return name;
  }

  std::optional<int64_t> parse_int_opt() {
    skip_spaces();
    size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    if (pos_ == start) return std::nullopt;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec != std::errc() || p != s_.data() + pos_) fail("bad array index");
    skip_spaces();
    return v;
  }

  Segment parse_bracket() {
    expect('[');
    skip_spaces();
    if (pos_ >= s_.size()) fail("unterminated '['");
    Segment seg;
    char c = s_[pos_];
    if (c == '*') {
      ++pos_;
      skip_spaces();
      expect(']');
      seg.kind = Segment::Kind::kWildcard;
      return seg;
    }
    if (c == '\'' || c == '"') {
      for (;;) {
        skip_spaces();
        if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a name");
        seg.names.push_back(parse_quoted());
        skip_spaces();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        expect(']');
        break;
      }
      seg.kind = seg.names.size() == 1 ? Segment::Kind::kName : Segment::Kind::kNames;
      return seg;
    }
    if (c == '?') {
      ++pos_;
      skip_spaces();
      expect('(');
      seg.kind = Segment::Kind::kFilter;
      seg.filter = parse_or();
      skip_spaces();
      expect(')');
      skip_spaces();
      expect(']');
      return seg;
    }
    // Indices, a union of indices, or a slice.
    std::optional<int64_t> first = parse_int_opt();
    if (pos_ < s_.size() && s_[pos_] == ':') {
      ++pos_;
      seg.kind = Segment::Kind::kSlice;
      seg.slice_start = first;
      seg.slice_end = parse_int_opt();
      if (pos_ < s_.size() && s_[pos_] == ':') {
        ++pos_;
        std::optional<int64_t> step = parse_int_opt();
        if (step) {
          if (*step == 0) fail("slice step cannot be 0");
          seg.slice_step = *step;
        }
      }
      expect(']');
      return seg;
    }
    if (!first) fail("expected an index, a slice, a quoted name, '*' or a filter");
    seg.indices.push_back(*first);
    while (pos_ < s_.size() && s_[pos_] == ',') {
      ++pos_;
      std::optional<int64_t> next = parse_int_opt();
      if (!next) fail("expected an index after ','");
      seg.indices.push_back(*next);
    }
    expect(']');
    seg.kind = seg.indices.size() == 1 ? Segment::Kind::kIndex : Segment::Kind::kIndices;
    return seg;
  }

  // Filter grammar: or := and ('||' and)*; and := unary ('&&' unary)*;
  // unary := '!' unary | '(' or ')' | operand [op operand].
  std::shared_ptr<FilterExpr> parse_or() {
    auto lhs = parse_and();
    for (;;) {
      skip_spaces();
      if (s_.substr(pos_, 2) != "||") return lhs;
      pos_ += 2;
      auto node = std::make_shared<FilterExpr>();
      node->kind = FilterExpr::Kind::kOr;
      node->lhs = lhs;
      node->rhs = parse_and();
      lhs = node;
    }
  }

  std::shared_ptr<FilterExpr> parse_and() {
    auto lhs = parse_unary();
    for (;;) {
      skip_spaces();
      if (s_.substr(pos_, 2) != "&&") return lhs;
      pos_ += 2;
      auto node = std::make_shared<FilterExpr>();
      node->kind = FilterExpr::Kind::kAnd;
      node->lhs = lhs;
      node->rhs = parse_unary();
      lhs = node;
    }
  }

  std::shared_ptr<FilterExpr> parse_unary() {
    skip_spaces();
    if (pos_ >= s_.size()) fail("unterminated filter");
    if (s_[pos_] == '!' && s_.substr(pos_, 2) != "!=") {
      ++pos_;
      auto node = std::make_shared<FilterExpr>();
      node->kind = FilterExpr::Kind::kNot;
      node->lhs = parse_unary();
      return node;
    }
    if (s_[pos_] == '(') {
      ++pos_;
      auto inner = parse_or();
      skip_spaces();
      expect(')');
      return inner;
    }
    auto node = std::make_shared<FilterExpr>();
    node->a = parse_operand();
    skip_spaces();
    std::optional<CompareOp> op = parse_compare_op();
    if (!op) {
      if (node->a.kind == Operand::Kind::kLiteral) fail("a filter needs a path or a comparison");
      node->kind = FilterExpr::Kind::kExists;
      return node;
    }
    node->kind = FilterExpr::Kind::kCompare;
    node->op = *op;
    node->b = parse_operand();
    return node;
  }

  std::optional<CompareOp> parse_compare_op() {
    static const std::pair<std::string_view, CompareOp> kOps[] = {
        {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<=", CompareOp::kLe},
        {">=", CompareOp::kGe}, {"<", CompareOp::kLt},  {">", CompareOp::kGt},
    };
    for (const auto& [text, op] : kOps) {
      if (s_.substr(pos_, text.size()) == text) {
        pos_ += text.size();
        return op;
      }
    }
    if (s_.substr(pos_, 2) == "=~") fail("regular expressions are not supported in filters");
    return std::nullopt;
  }

  Operand parse_operand() {
    skip_spaces();
    if (pos_ >= s_.size()) fail("expected a filter operand");
    Operand op;
    char c = s_[pos_];
    if (c == '@' || c == '$') {
      JsonPathParser sub(s_.substr(pos_), /*in_filter=*/true);
      op.path = std::make_shared<JsonPath>(sub.parse_path());
      pos_ += sub.pos();
      op.kind = c == '@' ? Operand::Kind::kRelative : Operand::Kind::kAbsolute;
      return op;
    }
    op.kind = Operand::Kind::kLiteral;
    if (c == '\'' || c == '"') {
      // Filter string literals do honour \-escapes of the quote and of the backslash.
      char quote = s_[pos_++];
      std::string value;
      while (pos_ < s_.size() && s_[pos_] != quote) {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        value += s_[pos_++];
      }
      if (pos_ >= s_.size()) fail("unterminated string in filter");
      ++pos_;
      op.literal = value;
      return op;
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        op.literal = word == "null" ? Json(nullptr) : Json(word == "true");
        return op;
      }
    }
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
            s_[pos_] == '+' || s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
    }
    if (pos_ == start) fail("expected a filter operand");
    Json number = Json::parse(s_.substr(start, pos_ - start), nullptr, /*allow_exceptions=*/false);
    if (!number.is_number()) fail("bad number in filter");
    op.literal = std::move(number);
    return op;
  }

  std::string_view s_;
  bool in_filter_;
  size_t pos_ = 0;
};

JsonPath JsonPath::parse(std::string_view text) {
  JsonPathParser parser(text, /*in_filter=*/false);
  return parser.parse_path();
}

bool JsonPath::is_reference_path() const {
  return std::all_of(segments_.begin(), segments_.end(), [](const Segment& s) {
    return !s.deep && (s.kind == Segment::Kind::kName || s.kind == Segment::Kind::kIndex);
  });
}

bool JsonPath::is_definite() const {
  return std::all_of(segments_.begin(), segments_.end(), [](const Segment& s) {
    return !s.deep && (s.kind == Segment::Kind::kName || s.kind == Segment::Kind::kNames ||
                       s.kind == Segment::Kind::kIndex);
  });
}

std::string JsonPath::normalized() const {
  std::string out = "$";
  for (const Segment& s : segments_) {
    if (s.deep) out += "..";
    switch (s.kind) {
      case Segment::Kind::kName:
      case Segment::Kind::kNames: {
        out += "[";
        for (size_t i = 0; i < s.names.size(); ++i) out += (i ? ", '" : "'") + s.names[i] + "'";
        out += "]";
        break;
      }
      case Segment::Kind::kIndex:
      case Segment::Kind::kIndices: {
        out += "[";
        for (size_t i = 0; i < s.indices.size(); ++i) {
          out += (i ? "," : "") + std::to_string(s.indices[i]);
        }
        out += "]";
        break;
      }
      case Segment::Kind::kSlice:
        out += "[" + (s.slice_start ? std::to_string(*s.slice_start) : std::string()) + ":" +
               (s.slice_end ? std::to_string(*s.slice_end) : std::string()) + "]";
        break;
      case Segment::Kind::kWildcard:
        out += "[*]";
        break;
      case Segment::Kind::kFilter:
        out += "[?]";
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

namespace {

const Json& null_json() {
  static const Json kNull = nullptr;
  return kNull;
}

struct Walker {
  const std::vector<Segment>& segs;
  const Json& root;
  std::vector<Json>& out;

  void walk(const Json& node, size_t i) {
    if (i == segs.size()) {
      out.push_back(node);
      return;
    }
    if (segs[i].deep) {
      scan(node, i);
    } else {
      apply(node, i, /*in_scan=*/false);
    }
  }

  // `..x`: try the step at this node, then at every node below it, in document order.
  void scan(const Json& node, size_t i) {
    apply(node, i, /*in_scan=*/true);
    if (node.is_object() || node.is_array()) {
      for (const Json& child : node) scan(child, i);
    }
  }

  void apply_index(const Json& node, int64_t index, size_t i, bool in_scan) {
    int64_t size = static_cast<int64_t>(node.size());
    int64_t effective = index < 0 ? size + index : index;
    if (effective >= 0 && effective < size) {
      walk(node[static_cast<size_t>(effective)], i + 1);
    } else if (!in_scan && i + 1 == segs.size()) {
      // Jackson returns null for an index outside the array and Jayway records that as a hit.
      out.push_back(nullptr);
    }
  }

  void apply(const Json& node, size_t i, bool in_scan) {
    const Segment& s = segs[i];
    switch (s.kind) {
      case Segment::Kind::kName:
        if (node.is_object()) {
          auto it = node.find(s.names[0]);
          if (it != node.end()) walk(*it, i + 1);
        }
        break;
      case Segment::Kind::kNames:
        if (node.is_object()) {
          Json merged = Json::object();
          for (const std::string& name : s.names) {
            auto it = node.find(name);
            if (it != node.end()) merged[name] = *it;
          }
          walk(merged, i + 1);
        }
        break;
      case Segment::Kind::kIndex:
      case Segment::Kind::kIndices:
        if (node.is_array()) {
          for (int64_t index : s.indices) apply_index(node, index, i, in_scan);
        }
        break;
      case Segment::Kind::kSlice:
        if (node.is_array()) apply_slice(node, i);
        break;
      case Segment::Kind::kWildcard:
        if (node.is_object() || node.is_array()) {
          for (const Json& child : node) walk(child, i + 1);
        }
        break;
      case Segment::Kind::kFilter:
        if (node.is_array()) {
          for (const Json& child : node) {
            if (s.filter->matches(child, root)) walk(child, i + 1);
          }
        } else if (node.is_object() && !in_scan) {
          // Jayway tests a filter applied to an object against the object itself.
          if (s.filter->matches(node, root)) walk(node, i + 1);
        }
        break;
    }
  }

  // Python-style slice bounds: negative positions count from the end, out-of-range ones clamp.
  void apply_slice(const Json& node, size_t i) {
    const Segment& s = segs[i];
    int64_t size = static_cast<int64_t>(node.size());
    int64_t step = s.slice_step;
    auto clamp = [&](std::optional<int64_t> v, int64_t dflt, int64_t lo, int64_t hi) {
      if (!v) return dflt;
      int64_t x = *v < 0 ? *v + size : *v;
      return std::clamp(x, lo, hi);
    };
    if (step > 0) {
      int64_t start = clamp(s.slice_start, 0, 0, size);
      int64_t end = clamp(s.slice_end, size, 0, size);
      for (int64_t k = start; k < end; k += step) walk(node[static_cast<size_t>(k)], i + 1);
    } else {
      int64_t start = clamp(s.slice_start, size - 1, -1, size - 1);
      int64_t end = clamp(s.slice_end, -1, -1, size - 1);
      for (int64_t k = start; k > end; k += step) walk(node[static_cast<size_t>(k)], i + 1);
    }
  }
};

std::vector<Json> collect(const std::vector<Segment>& segs, const Json& doc) {
  std::vector<Json> out;
  Walker walker{segs, doc, out};
  walker.walk(doc, 0);
  return out;
}

// The Jackson node class Jayway names when a step meets the wrong kind of value.
std::string jackson_class(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::string:
      return "com.fasterxml.jackson.databind.node.TextNode";
    case Json::value_t::boolean:
      return "com.fasterxml.jackson.databind.node.BooleanNode";
    case Json::value_t::number_float:
      return "com.fasterxml.jackson.databind.node.DoubleNode";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "com.fasterxml.jackson.databind.node.IntNode";
    case Json::value_t::array:
      return "com.fasterxml.jackson.databind.node.ArrayNode";
    default:
      return "com.fasterxml.jackson.databind.node.ObjectNode";
  }
}

}  // namespace

std::optional<Json> JsonPath::evaluate(const Json& doc) const {
  std::vector<Json> found = collect(segments_, doc);
  if (!is_definite()) {
    Json arr = Json::array();
    for (Json& v : found) arr.push_back(std::move(v));
    return arr;
  }
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::string JsonPath::missing_reason(const Json& doc) const {
  const std::string full = normalized();
  if (!is_definite()) return "No results for path: " + full;
  const Json* node = &doc;
  std::string eval_path = "$";
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    bool leaf = i + 1 == segments_.size();
    if (s.kind == Segment::Kind::kIndex) {
      if (!node->is_array()) {
        return "Filter: [" + std::to_string(s.indices[0]) +
               "] can only be applied to arrays. Current context is: " + to_compact_json(*node);
      }
      int64_t size = static_cast<int64_t>(node->size());
      int64_t effective = s.indices[0] < 0 ? size + s.indices[0] : s.indices[0];
      eval_path += "[" + std::to_string(s.indices[0]) + "]";
      node = effective >= 0 && effective < size ? &(*node)[static_cast<size_t>(effective)]
                                                : &null_json();
      continue;
    }
    std::string fragment = "['" + s.names[0] + "']";
    if (!node->is_object()) {
      return "Expected to find an object with property " + fragment + " in path " + eval_path +
             " but found '" + jackson_class(*node) +
             "'. This is not a json object according to the JsonProvider: "
             "'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.";
    }
    eval_path += fragment;
    auto it = node->find(s.names[0]);
    if (it == node->end()) {
      return leaf ? "No results for path: " + full : "Missing property in path " + eval_path;
    }
    node = &*it;
  }
  return "No results for path: " + full;
}

Json JsonPath::assign(Json doc, Json value) const {
  if (!is_reference_path()) {
    throw std::invalid_argument("The path '" + text_ + "' is not a reference path");
  }
  if (segments_.empty()) return value;
  auto failure = [&](const Json& original) {
    return StatesException(errors::kResultPathMatchFailure, "Unable to apply ResultPath \"" +
                                                                text_ + "\" to input \"" +
                                                                to_compact_json(original) + "\"");
  };
  Json* node = &doc;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    bool leaf = i + 1 == segments_.size();
    if (s.kind == Segment::Kind::kName) {
      if (!node->is_object()) throw failure(doc);
      if (leaf) {
        (*node)[s.names[0]] = std::move(value);
        return doc;
      }
      auto it = node->find(s.names[0]);
      if (it == node->end()) {
        node = &((*node)[s.names[0]] = Json::object());
      } else {
        node = &*it;
      }
    } else {
      if (!node->is_array()) throw failure(doc);
      int64_t size = static_cast<int64_t>(node->size());
      int64_t effective = s.indices[0] < 0 ? size + s.indices[0] : s.indices[0];
      if (effective < 0 || effective >= size) throw failure(doc);
      node = &(*node)[static_cast<size_t>(effective)];
      if (leaf) {
        *node = std::move(value);
        return doc;
      }
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Filters

namespace {

// The value of an operand for `item`; nullopt when a path finds nothing.
std::optional<Json> operand_value(const Operand& op, const Json& item, const Json& root) {
  switch (op.kind) {
    case Operand::Kind::kLiteral:
      return op.literal;
    case Operand::Kind::kRelative:
      return op.path->evaluate(item);
    case Operand::Kind::kAbsolute:
      return op.path->evaluate(root);
  }
  return std::nullopt;
}

bool values_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  return a == b;
}

// Ordering is defined between two numbers or two strings only, as in Jayway.
std::optional<int> values_order(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>();
    double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

}  // namespace

bool FilterExpr::matches(const Json& item, const Json& root) const {
  switch (kind) {
    case Kind::kOr:
      return lhs->matches(item, root) || rhs->matches(item, root);
    case Kind::kAnd:
      return lhs->matches(item, root) && rhs->matches(item, root);
    case Kind::kNot:
      return !lhs->matches(item, root);
    case Kind::kExists: {
      std::optional<Json> v = operand_value(a, item, root);
      if (!v) return false;
      // An indefinite operand exists when it matched something.
      if (a.path && !a.path->is_definite()) return !v->empty();
      return true;
    }
    case Kind::kCompare: {
      std::optional<Json> x = operand_value(a, item, root);
      std::optional<Json> y = operand_value(b, item, root);
      if (!x || !y) return op == CompareOp::kNe;
      switch (op) {
        case CompareOp::kEq:
          return values_equal(*x, *y);
        case CompareOp::kNe:
          return !values_equal(*x, *y);
        default:
          break;
      }
      std::optional<int> order = values_order(*x, *y);
      if (!order) return false;
      switch (op) {
        case CompareOp::kLt:
          return *order < 0;
        case CompareOp::kLe:
          return *order <= 0;
        case CompareOp::kGt:
          return *order > 0;
        case CompareOp::kGe:
          return *order >= 0;
        default:
          return false;
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Paths as written in definitions: $..., $$..., $var...

namespace {

using Root = CompiledPath::Root;

struct SplitPath {
  Root root;
  std::string variable;  // kVariable
  std::string path;      // a "$..." path to evaluate against the chosen root
};

bool is_variable_char(char c) {
  return c != '.' && c != '[' && c != ' ';
}

SplitPath split_path(std::string_view text) {
  if (text.empty() || text[0] != '$') {
    throw std::invalid_argument("Invalid JSONPath '" + std::string(text) +
                                "': a path must start with '$'");
  }
  if (text.size() >= 2 && text[1] == '$') {
    return {Root::kContext, "", "$" + std::string(text.substr(2))};
  }
  if (text.size() == 1 || text[1] == '.' || text[1] == '[') {
    return {Root::kInput, "", std::string(text)};
  }
  size_t end = 1;
  while (end < text.size() && is_variable_char(text[end])) ++end;
  return {Root::kVariable, std::string(text.substr(1, end - 1)),
          "$" + std::string(text.substr(end))};
}

}  // namespace

namespace {

std::optional<Json> evaluate_at(Root root, const std::string& variable, const JsonPath& path,
                                const EvalScope& scope) {
  switch (root) {
    case Root::kInput:
      return path.evaluate(scope.input);
    case Root::kContext:
      return path.evaluate(scope.context);
    case Root::kVariable: {
      const Json* value = scope.variable(variable);
      if (value == nullptr) return std::nullopt;
      return path.evaluate(*value);
    }
  }
  return std::nullopt;
}

}  // namespace

std::shared_ptr<const CompiledPath> CompiledPath::compile(std::string_view text) {
  SplitPath split = split_path(text);
  JsonPath parsed = JsonPath::parse(split.path);
  return std::shared_ptr<const CompiledPath>(new CompiledPath(
      std::string(text), split.root, std::move(split.variable), std::move(parsed)));
}

std::optional<Json> CompiledPath::resolve(const EvalScope& scope) const {
  return evaluate_at(root_, variable_, path_, scope);
}

std::optional<Json> resolve_path(std::string_view path, const EvalScope& scope) {
  SplitPath split = split_path(path);
  return evaluate_at(split.root, split.variable, JsonPath::parse(split.path), scope);
}

void validate_path(std::string_view path) {
  SplitPath split = split_path(path);
  try {
    JsonPath::parse(split.path);
  } catch (const std::invalid_argument&) {
    // Report the path as the user wrote it, not the rewritten form.
    if (split.root == Root::kInput) throw;
    throw std::invalid_argument("Invalid JSONPath '" + std::string(path) + "'");
  }
}

void validate_reference_path(std::string_view path) {
  SplitPath split = split_path(path);
  JsonPath parsed = JsonPath::parse(split.path);
  if (!parsed.is_reference_path()) {
    throw std::invalid_argument("The path '" + std::string(path) +
                                "' must be a reference path (names and single indices only)");
  }
}

// ---------------------------------------------------------------------------------------------
// Serialisation

std::string java_double_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest round-trip digits, then laid out the way Java lays them out.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exponent = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = negative ? "-" : "";
  double magnitude = std::fabs(d);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      size_t int_len = static_cast<size_t>(exponent) + 1;
      std::string int_part = digits.substr(0, std::min(int_len, digits.size()));
      while (int_part.size() < int_len) int_part += '0';
      std::string frac = digits.size() > int_len ? digits.substr(int_len) : "0";
      out += int_part + "." + frac;
    } else {
      out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
  } else {
    out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
           std::to_string(exponent);
  }
  return out;
}

namespace {

void write_compact(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        out += Json(it.key()).dump(-1, ' ', false, Json::error_handler_t::replace);
        out += ':';
        write_compact(it.value(), out);
      }
      out += '}';
      break;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& e : v) {
        if (!first) out += ',';
        first = false;
        write_compact(e, out);
      }
      out += ']';
      break;
    }
    case Json::value_t::number_float:
      out += java_double_string(v.get<double>());
      break;
    default:
      out += v.dump(-1, ' ', false, Json::error_handler_t::replace);
      break;
  }
}

}  // namespace

std::string to_compact_json(const Json& value) {
  std::string out;
  write_compact(value, out);
  return out;
}

}  // namespace stepd::asl
