#include "core/asl/jsonata_field.h"

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "core/asl/intrinsics.h"
#include "core/common/states_error.h"
#include "core/jsonata/jsonata.h"

namespace stepd::asl {

namespace {

// The most elements $range builds; beyond it the field fails (JSONata's own size bound would
// refuse the array later anyway, after the memory was spent).
constexpr double kMaxRangeItems = 1'000'000;

std::string trimmed_source(const std::string& text) {
  std::string_view s(text);
  s.remove_prefix(2);
  s.remove_suffix(2);
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

// The `$name`s an expression mentions: the variables worth binding. Over-approximates (a `$x`
// inside a string literal counts), which only binds a variable that is not read.
std::vector<std::string> mentioned_names(const std::string& src) {
  std::set<std::string> names;
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] != '$') continue;
    size_t j = i + 1;
    while (j < src.size() && (std::isalnum(static_cast<unsigned char>(src[j])) || src[j] == '_' ||
                              static_cast<unsigned char>(src[j]) >= 0x80)) {
      ++j;
    }
    if (j > i + 1) names.insert(src.substr(i + 1, j - i - 1));
    i = j - 1;
  }
  return {names.begin(), names.end()};
}

JsonataField::Node compile_node(const Json& v) {
  JsonataField::Node n;
  if (is_jsonata_text(v)) {
    n.kind = JsonataField::Node::Kind::kExpression;
    n.source = trimmed_source(v.get_ref<const std::string&>());
    try {
      n.expression =
          std::make_shared<const jsonata::Expression>(jsonata::Expression::parse(n.source));
    } catch (const jsonata::Error& e) {
      throw std::invalid_argument(e.code + ": " + e.message);
    }
    n.names = mentioned_names(n.source);
  } else if (v.is_object()) {
    n.kind = JsonataField::Node::Kind::kObject;
    for (const auto& [k, child] : v.items()) n.members.push_back({k, compile_node(child)});
  } else if (v.is_array()) {
    n.kind = JsonataField::Node::Kind::kArray;
    for (const auto& child : v) n.elements.push_back(compile_node(child));
  } else {
    n.literal = v;
  }
  return n;
}

// ---- Step Functions' additions to the library

[[noreturn]] void bad_argument(const std::string& fn, const std::string& what) {
  throw jsonata::Error("D3001", 0, "Invalid arguments in $" + fn + ": " + what);
}

// JSONata's way with integer arguments as AWS applies it: truncated towards zero.
std::optional<double> truncated(const std::optional<Json>& v, const std::string& fn,
                                const char* what) {
  if (!v) return std::nullopt;
  if (!v->is_number()) bad_argument(fn, std::string("the ") + what + " must be a number");
  double d = v->get<double>();
  if (!std::isfinite(d)) bad_argument(fn, std::string("the ") + what + " must be finite");
  return std::trunc(d);
}

Json as_number(double d) {
  if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == std::trunc(d)) {
    return static_cast<int64_t>(d);
  }
  return d;
}

std::optional<Json> fn_partition(const std::vector<std::optional<Json>>& a) {
  if (!a[0]) return std::nullopt;
  Json items = a[0]->is_array() ? *a[0] : Json::array({*a[0]});
  std::optional<double> size = truncated(a[1], "partition", "chunk size");
  if (!size || *size <= 0 || items.empty()) return std::nullopt;
  Json out = Json::array();
  Json chunk = Json::array();
  for (auto& item : items) {
    chunk.push_back(std::move(item));
    if (static_cast<double>(chunk.size()) >= *size) {
      out.push_back(std::move(chunk));
      chunk = Json::array();
    }
  }
  if (!chunk.empty()) out.push_back(std::move(chunk));
  return out;
}

std::optional<Json> fn_range(const std::vector<std::optional<Json>>& a) {
  std::optional<double> first = truncated(a[0], "range", "start");
  std::optional<double> last = truncated(a[1], "range", "end");
  std::optional<double> stride = truncated(a[2], "range", "step");
  if (!first || !last || !stride || *stride == 0) return std::nullopt;
  const double start = *first, end = *last, step = *stride;
  if ((step > 0 && start > end) || (step < 0 && start < end)) return std::nullopt;
  double count = std::floor((end - start) / step) + 1;
  if (count > kMaxRangeItems) {
    bad_argument("range", "the range cannot hold more than 1000000 items");
  }
  Json out = Json::array();
  for (double i = 0; i < count; ++i) out.push_back(as_number(start + i * step));
  if (out.size() == 1) return out[0];  // a one-item sequence is its item, as in JSONata
  return out;
}

std::optional<Json> fn_hash(const std::vector<std::optional<Json>>& a) {
  if (!a[0] || !a[1]) return std::nullopt;
  if (!a[0]->is_string()) bad_argument("hash", "the value to hash must be a string");
  if (!a[1]->is_string()) bad_argument("hash", "the algorithm must be a string");
  const std::string& algorithm = a[1]->get_ref<const std::string&>();
  std::optional<std::string> hex = hash_hex_digest(algorithm, a[0]->get_ref<const std::string&>());
  if (!hex) {
    bad_argument("hash", "the hash algorithm '" + algorithm +
                             "' is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, "
                             "SHA-512");
  }
  return *hex;
}

std::optional<Json> fn_parse(const std::vector<std::optional<Json>>& a) {
  if (!a[0]) return std::nullopt;
  if (!a[0]->is_string()) bad_argument("parse", "the argument must be a string");
  Json parsed = Json::parse(a[0]->get_ref<const std::string&>(), nullptr, false);
  if (parsed.is_discarded()) bad_argument("parse", "the argument is not valid JSON");
  return parsed;
}

jsonata::Options options_for(const JsonataScope& scope, const JsonataField::Node& node) {
  jsonata::Options o;
  // By reference: `$states.input.x` then reads the state's input in place instead of copying
  // all of it for every expression (a Map's ItemSelector runs once per item).
  o.references.emplace("states", &scope.states);
  for (const std::string& name : node.names) {
    if (name == "states") continue;
    const Json* v = nullptr;
    if (scope.variables && scope.variables->is_object()) {
      if (auto it = scope.variables->find(name); it != scope.variables->end()) v = &*it;
    }
    for (size_t i = 0; !v && i < scope.outer_variables.size(); ++i) {
      const Json* vars = scope.outer_variables[i];
      if (vars && vars->is_object()) {
        if (auto it = vars->find(name); it != vars->end()) v = &*it;
      }
    }
    if (v) o.references.emplace(name, v);
  }
  const int64_t now = scope.now_ms;
  o.now_ms = [now] { return now; };
  IdSource* ids = scope.ids;
  if (ids) {
    o.random = [ids] { return static_cast<double>(ids->random_u64() >> 11) * 0x1.0p-53; };
  }
  o.functions["partition"] = {2, 2, fn_partition};
  o.functions["range"] = {3, 3, fn_range};
  o.functions["hash"] = {1, 2, fn_hash};
  o.functions["parse"] = {1, 1, fn_parse};
  o.functions["uuid"] = {0, 0,
                         [ids](const std::vector<std::optional<Json>>&) -> std::optional<Json> {
                           if (!ids) throw jsonata::Error("D3001", 0, "$uuid has no id source");
                           return ids->uuid();
                         }};
  o.functions["random"] = {0, 1,
                           [ids](const std::vector<std::optional<Json>>& a) -> std::optional<Json> {
                             if (!a.empty() && a[0]) {
                               std::optional<double> seed = truncated(a[0], "random", "seed");
                               return seeded_random_double(static_cast<int64_t>(*seed));
                             }
                             if (!ids)
                               throw jsonata::Error("D3001", 0, "$random has no random source");
                             return static_cast<double>(ids->random_u64() >> 11) * 0x1.0p-53;
                           }};
  // Step Functions takes $eval out of the library.
  o.functions["eval"] = {0, 8, [](const std::vector<std::optional<Json>>&) -> std::optional<Json> {
                           throw jsonata::Error("T1006", 0, "Attempted to invoke a non-function");
                         }};
  return o;
}

std::string quoted_expression(const std::string& src, const std::string& field) {
  return "The JSONata expression '" + src + "' specified for the field '" + field + "'";
}

Json evaluate_node(const JsonataField::Node& n, const JsonataScope& scope,
                   const std::string& field) {
  using Kind = JsonataField::Node::Kind;
  switch (n.kind) {
    case Kind::kLiteral:
      return n.literal;
    case Kind::kObject: {
      Json out = Json::object();
      for (const auto& m : n.members)
        out[m.key] = evaluate_node(m.value, scope, field + "/" + m.key);
      return out;
    }
    case Kind::kArray: {
      Json out = Json::array();
      for (size_t i = 0; i < n.elements.size(); ++i) {
        out.push_back(evaluate_node(n.elements[i], scope, field + "[" + std::to_string(i) + "]"));
      }
      return out;
    }
    case Kind::kExpression:
      break;
  }
  bool function_result = false;
  std::optional<Json> v;
  try {
    v = n.expression->evaluate(Json(), options_for(scope, n), &function_result);
  } catch (const jsonata::Error& e) {
    throw StatesException(kQueryEvaluationError,
                          quoted_expression(n.source, field) +
                              " threw an error during evaluation. " + e.code + ": " + e.message,
                          field);
  }
  if (function_result) {
    throw StatesException(
        kQueryEvaluationError,
        quoted_expression(n.source, field) + " returned an unsupported result type.", field);
  }
  if (!v) {
    throw StatesException(kQueryEvaluationError,
                          quoted_expression(n.source, field) + " returned nothing (undefined).",
                          field);
  }
  return std::move(*v);
}

}  // namespace

bool is_jsonata_text(const Json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() >= 4 && s.compare(0, 2, "{%") == 0 && s.compare(s.size() - 2, 2, "%}") == 0;
}

std::shared_ptr<const JsonataField> JsonataField::compile(const Json& value) {
  return std::shared_ptr<const JsonataField>(new JsonataField(compile_node(value)));
}

Json JsonataField::evaluate(const JsonataScope& scope, const std::string& field) const {
  return evaluate_node(root_, scope, field);
}

namespace {
void visit_node(const JsonataField::Node& n, const std::string& where,
                const std::function<void(const std::string&, const jsonata::Expression&)>& visit) {
  switch (n.kind) {
    case JsonataField::Node::Kind::kExpression:
      visit(where, *n.expression);
      return;
    case JsonataField::Node::Kind::kObject:
      for (const auto& m : n.members) visit_node(m.value, where + "/" + m.key, visit);
      return;
    case JsonataField::Node::Kind::kArray:
      for (size_t i = 0; i < n.elements.size(); ++i) {
        visit_node(n.elements[i], where + "/" + std::to_string(i), visit);
      }
      return;
    case JsonataField::Node::Kind::kLiteral:
      return;
  }
}
}  // namespace

void JsonataField::for_each_expression(
    const std::function<void(const std::string& where, const jsonata::Expression&)>& visit) const {
  visit_node(root_, "", visit);
}

std::string jsonata_type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::null:
      return "null";
    default:
      return "number";
  }
}

void unexpected_result_type(const JsonataField* field, const std::string& name,
                            const std::string& expected, const Json& value) {
  std::string who = !field || field->expression_text().empty()
                        ? "The value of the field '" + name + "'"
                        : quoted_expression(field->expression_text(), name);
  throw StatesException(kQueryEvaluationError,
                        who + " returned an unexpected result type. Expected '" + expected +
                            "', but was '" + jsonata_type_name(value) +
                            "' for value: " + value.dump(),
                        name);
}

}  // namespace stepd::asl
