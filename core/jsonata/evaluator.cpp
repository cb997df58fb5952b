// Evaluation of the syntax tree: paths and sequences, operators, constructors, lambdas.
#include "core/jsonata/evaluator.h"
#include "core/jsonata/regex.h"
#include "core/jsonata/signature.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace stepd::jsonata {

// --- value helpers -----------------------------------------------------------------------------

size_t Function::arity() const {
  if (then != nullptr) return target->fn->arity();
  if (target != nullptr) return static_cast<size_t>(std::count(hole.begin(), hole.end(), true));
  if (lambda != nullptr) return lambda->params.size();
  if (transform != nullptr) return 1;
  if (regex != nullptr) return subject != nullptr ? 0 : 1;
  if (host != nullptr) return std::max<size_t>(host->min_args, 1);
  return std::max<size_t>(builtin->min_args, 1);
}

const Value* Frame::find(const std::string& name) const {
  for (const Frame* f = this; f != nullptr; f = f->parent) {
    auto it = f->vars.find(name);
    if (it != f->vars.end()) return &it->second;
  }
  return nullptr;
}

const Json* Frame::find_ref(const std::string& name) const {
  const Frame* f = this;
  while (f->parent != nullptr) f = f->parent;
  auto it = f->refs.find(name);
  return it == f->refs.end() ? nullptr : it->second;
}

std::vector<Value> to_items(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Undefined:
      return {};
    case Value::Kind::Sequence:
      return v.items;
    case Value::Kind::Json:
      if (v.json.is_array()) {
        std::vector<Value> out;
        out.reserve(v.json.size());
        for (const auto& e : v.json) out.emplace_back(e);
        return out;
      }
      return {v};
    case Value::Kind::Function:
      return {v};
  }
  return {};
}

Value collapse(Value v) {
  if (!v.is_sequence()) return v;
  if (v.items.empty()) return Value();
  if (v.items.size() == 1 && !v.keep_singleton) return std::move(v.items[0]);
  return v;
}

Json to_json(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Json:
      return v.json;
    case Value::Kind::Sequence: {
      Json arr = Json::array();
      for (const auto& item : v.items) arr.push_back(to_json(item));
      return arr;
    }
    default:
      return nullptr;
  }
}

void append_member(Json& obj, std::string key, Json value) {
  auto& members = static_cast<Json::object_t::Container&>(obj.get_ref<Json::object_t&>());
  members.emplace_back(std::move(key), std::move(value));
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Undefined:
    case Value::Kind::Function:
      return false;
    case Value::Kind::Sequence:
      return std::any_of(v.items.begin(), v.items.end(), [](const Value& i) { return truthy(i); });
    case Value::Kind::Json:
      break;
  }
  const Json& j = v.json;
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number()) return j.get<double>() != 0;
  if (j.is_string()) return !j.get_ref<const std::string&>().empty();
  if (j.is_object()) return !j.empty();
  if (j.is_array()) {
    return std::any_of(j.begin(), j.end(), [](const Json& e) { return truthy(Value(e)); });
  }
  return false;  // null
}

bool deep_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!deep_equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {  // member order does not matter
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !deep_equal(it.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

bool deep_equal(const Value& a, const Value& b) {
  if (a.is_function() || b.is_function()) return a.fn == b.fn;
  if (a.undefined() || b.undefined()) return false;
  return deep_equal(to_json(a), to_json(b));
}

int64_t to_int(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2e18) return INT64_MAX;
  if (d <= -9.2e18) return INT64_MIN;
  return static_cast<int64_t>(d);
}

Json make_number(double d) {
  // every integral double below 2^63 converts to int64 exactly
  if (d == std::floor(d) && std::fabs(d) < 9.2e18) {
    return Json(static_cast<int64_t>(d));
  }
  return Json(d);
}

std::string format_number(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e21) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return std::string(buf) == "-0" ? "0" : buf;
  }
  // 15 significant digits, then the shortest text that reads back as that value
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  double rounded = std::strtod(buf, nullptr);
  auto res = std::to_chars(buf, buf + sizeof buf, rounded);
  std::string s(buf, res.ptr);
  // JavaScript writes exponents without leading zeros and with an explicit sign: 1e-7, 1e+21
  auto e = s.find('e');
  if (e != std::string::npos) {
    std::string mant = s.substr(0, e);
    std::string ex = s.substr(e + 1);
    char sign = '+';
    if (!ex.empty() && (ex[0] == '-' || ex[0] == '+')) {
      sign = ex[0];
      ex = ex.substr(1);
    }
    while (ex.size() > 1 && ex[0] == '0') ex = ex.substr(1);
    s = mant + "e" + sign + ex;
  }
  return s;
}

namespace {

void stringify_json(const Json& j, bool pretty, int indent, std::string& out) {
  auto newline = [&](int level) {
    if (!pretty) return;
    out += '\n';
    out.append(static_cast<size_t>(level) * 2, ' ');
  };
  if (j.is_number()) {
    out += format_number(j.get<double>());
  } else if (j.is_array()) {
    if (j.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& e : j) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      stringify_json(e, pretty, indent + 1, out);
    }
    newline(indent);
    out += ']';
  } else if (j.is_object()) {
    if (j.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      out += Json(it.key()).dump(-1, ' ', false, Json::error_handler_t::replace);
      out += pretty ? ": " : ":";
      stringify_json(it.value(), pretty, indent + 1, out);
    }
    newline(indent);
    out += '}';
  } else {
    out += j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

}  // namespace

std::string stringify(const Value& v, bool pretty) {
  if (v.is_function()) return "";
  std::string out;
  if (v.methods != nullptr) {
    Json j = v.json;
    for (const auto& member : *v.methods) append_member(j, member.first, "");
    stringify_json(j, pretty, 0, out);
    return out;
  }
  stringify_json(to_json(v), pretty, 0, out);
  return out;
}

const char* type_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Undefined:
      return "undefined";
    case Value::Kind::Function:
      return "function";
    case Value::Kind::Sequence:
      return "array";
    case Value::Kind::Json:
      break;
  }
  const Json& j = v.json;
  if (j.is_null()) return "null";
  if (j.is_number()) return "number";
  if (j.is_string()) return "string";
  if (j.is_boolean()) return "boolean";
  if (j.is_array()) return "array";
  return "object";
}

// --- the evaluator -----------------------------------------------------------------------------

Evaluator::Evaluator(const Options& options, const Json& root) : options_(options), root_(root) {
  if (options.now_ms) {
    now_ms_ = options.now_ms();
  } else {
    now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  }
}

void Evaluator::fail(const char* code, size_t position, std::string message) {
  throw Error(code, position, std::move(message));
}

void Evaluator::check_size(size_t n, size_t position) {
  check_growth(n, n, position);
}

void Evaluator::check_growth(size_t size, size_t added, size_t position) {
  count_steps(added, position);
  if (size > options_.limits.max_result_size) {
    fail("U1003", position,
         "Result too large: more than " + std::to_string(options_.limits.max_result_size) +
             " items or bytes");
  }
}

namespace {

// Roughly how much copying a value costs: its nodes, and long strings by the 64 bytes.
uint64_t weight(const Json& j) {
  if (j.is_string()) return 1 + j.get_ref<const std::string&>().size() / 64;
  if (!j.is_array() && !j.is_object()) return 1;
  uint64_t w = 1;
  for (const auto& e : j) w += weight(e);
  return w;
}

}  // namespace

void Evaluator::count_steps(uint64_t n, size_t position) {
  steps_ += n;
  if (steps_ > options_.limits.max_steps) {
    fail("U1002", position,
         "Evaluation exceeded " + std::to_string(options_.limits.max_steps) + " steps");
  }
}

void Evaluator::charge(const Value& v, size_t position) {
  if (v.is_json()) {
    count_steps(weight(v.json), position);
  } else if (v.is_sequence()) {
    for (const auto& i : v.items) charge(i, position);
  }
}

double Evaluator::random() {
  if (options_.random) return options_.random();
  if (!rng_) rng_.emplace(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(*rng_);
}

Frame* Evaluator::new_frame(Frame* parent) {
  frames_.emplace_back();
  frames_.back().parent = parent;
  return &frames_.back();
}

Evaluator::Nesting Evaluator::enter(size_t position) {
  if (depth_ + 1 > options_.limits.max_depth) {
    fail("U1001", position,
         "Stack overflow error: evaluation nested deeper than " +
             std::to_string(options_.limits.max_depth) + " levels");
  }
  return Nesting{++depth_};
}

Value Evaluator::eval(const Node& node, const Value& input, Frame* env) {
  count_steps(1, node.position);
  const Nesting nested = enter(node.position);
  return collapse(eval_node(node, input, env));
}

namespace {

// The value of field `name` in `input`, mapped over arrays and flattened.
Value lookup(const Value& input, const std::string& name) {
  if (input.is_array()) {
    std::vector<Value> out;
    for (const Value& item : to_items(input)) {
      Value r = lookup(item, name);
      if (r.undefined()) continue;
      if (r.is_array()) {
        for (auto& e : to_items(r)) out.push_back(std::move(e));
      } else {
        out.push_back(std::move(r));
      }
    }
    return Value::sequence(std::move(out));
  }
  if (input.is_json() && input.json.is_object()) {
    auto it = input.json.find(name);
    if (it != input.json.end()) return Value(*it);
    if (input.methods != nullptr) {
      for (const auto& [key, fn] : *input.methods) {
        if (key == name) return fn;
      }
    }
  }
  return Value();
}

void flatten_into(const Json& j, std::vector<Value>& out) {
  if (j.is_array()) {
    for (const auto& e : j) flatten_into(e, out);
  } else {
    out.emplace_back(j);
  }
}

void wildcard(const Value& input, std::vector<Value>& out) {
  if (input.is_sequence()) {
    for (const auto& i : input.items) wildcard(i, out);
    return;
  }
  if (!input.is_json()) return;
  if (input.json.is_object()) {
    for (const auto& e : input.json) flatten_into(e, out);
  } else if (input.json.is_array()) {
    for (const auto& e : input.json) wildcard(Value(e), out);
  }
}

void descendants(const Json& j, std::vector<Value>& out) {
  if (!j.is_array()) out.emplace_back(j);
  if (j.is_array() || j.is_object()) {
    for (const auto& e : j) descendants(e, out);
  }
}

double number_of(const Value& v) {
  return v.json.get<double>();
}

}  // namespace

Value Evaluator::eval_node(const Node& node, const Value& input, Frame* env) {
  switch (node.kind) {
    case NodeKind::Number:
      return Value(make_number(node.number));
    case NodeKind::String:
      return Value(Json(node.text));
    case NodeKind::Bool:
      return Value(Json(node.flag));
    case NodeKind::Null:
      return Value(Json(nullptr));
    case NodeKind::Regex: {
      auto f = std::make_shared<Function>();
      f->regex = node.regex;
      return Value::function(std::move(f));
    }
    case NodeKind::Parent:  // bound by the step its label names (ancestry.cpp), when it runs
      if (env != nullptr) {
        if (const Value* v = env->find(node.text)) {
          charge(*v, node.position);
          return *v;
        }
      }
      return Value();
    case NodeKind::Name:
      return lookup(input, node.text);
    case NodeKind::Variable: {
      if (node.text.empty()) return input;
      if (node.text == "$") return root_;
      if (env != nullptr) {
        if (const Value* v = env->find(node.text)) {
          charge(*v, node.position);  // the copy below costs what the value weighs
          return *v;
        }
        if (const Json* ref = env->find_ref(node.text)) {
          Value v(*ref);
          charge(v, node.position);
          return v;
        }
      }
      if (auto it = options_.functions.find(node.text); it != options_.functions.end()) {
        auto f = std::make_shared<Function>();
        f->host = &it->second;
        return Value::function(std::move(f));
      }
      if (const Builtin* b = find_builtin(node.text)) {
        auto f = std::make_shared<Function>();
        f->builtin = b;
        return Value::function(std::move(f));
      }
      return Value();
    }
    case NodeKind::Wildcard: {
      std::vector<Value> out;
      wildcard(input, out);
      check_size(out.size(), node.position);
      return Value::sequence(std::move(out));
    }
    case NodeKind::Descendant: {
      std::vector<Value> out;
      for (const auto& item : to_items(input)) {
        const size_t before = out.size();
        if (item.is_json()) descendants(item.json, out);
        check_growth(out.size(), out.size() - before, node.position);
      }
      return Value::sequence(std::move(out));
    }
    case NodeKind::Path:
      return eval_path(node, input, env);
    case NodeKind::Filter:
      return eval_filter(node, input, env);
    case NodeKind::Binary:
      return eval_binary(node, input, env);
    case NodeKind::Negate: {
      Value v = eval(*node.children[0], input, env);
      if (v.undefined()) return v;
      if (!v.is_number()) {
        fail("D1002", node.position, "Cannot negate a non-numeric value: " + stringify(v, false));
      }
      return Value(make_number(-number_of(v)));
    }
    case NodeKind::Array:
      return eval_array(node, input, env);
    case NodeKind::Object: {
      std::vector<Tuple> items;
      for (auto& item : to_items(input)) items.push_back({std::move(item), env});
      return eval_group(node, std::move(items), false, env);
    }
    case NodeKind::GroupBy:
      return eval_group_by(node, input, env);
    case NodeKind::Sort: {  // a step of a path, normally; here it orders the context
      std::vector<Tuple> items;
      for (auto& item : to_items(input)) items.push_back({std::move(item), env});
      sort_tuples(node, items);
      std::vector<Value> out;
      for (auto& t : items) out.push_back(std::move(t.value));
      return Value::sequence(std::move(out));
    }
    case NodeKind::Block: {
      Frame* scope = new_frame(env);
      Value last;
      for (const auto& child : node.children) last = eval(*child, input, scope);
      return last;
    }
    case NodeKind::Condition: {
      if (truthy(eval(*node.children[0], input, env))) return eval(*node.children[1], input, env);
      if (node.children.size() > 2) return eval(*node.children[2], input, env);
      return Value();
    }
    case NodeKind::Assign: {
      Value v = eval(*node.children[0], input, env);
      if (env == nullptr) fail("S0212", node.position, "No scope to bind a variable in");
      env->vars[node.text] = v;
      return v;
    }
    case NodeKind::Call:
      return eval_call(node, input, env, nullptr);
    case NodeKind::Lambda: {
      auto f = std::make_shared<Function>();
      f->lambda = &node;
      f->closure = env;
      f->context = std::make_shared<const Value>(input);
      return Value::function(std::move(f));
    }
    case NodeKind::Transform: {
      auto f = std::make_shared<Function>();
      f->transform = &node;
      f->closure = env;
      return Value::function(std::move(f));
    }
    case NodeKind::Apply: {
      Value lhs = eval(*node.children[0], input, env);
      const Node& rhs = *node.children[1];
      // `x ~> $f(a)` calls $f(x, a); a partial application `$f(?, a)` is a function value
      const bool partial =
          rhs.kind == NodeKind::Call &&
          std::any_of(rhs.children.begin() + 1, rhs.children.end(),
                      [](const NodePtr& c) { return c->kind == NodeKind::Placeholder; });
      if (rhs.kind == NodeKind::Call && !partial) return eval_call(rhs, input, env, &lhs);
      Value fn = eval(rhs, input, env);
      if (!fn.is_function()) {
        fail("T2006", node.position,
             "The right side of the function application operator ~> must be a function");
      }
      if (lhs.is_function()) {  // $f ~> $g is the function x => $g($f(x))
        auto composed = std::make_shared<Function>();
        composed->target = std::make_shared<const Value>(std::move(lhs));
        composed->then = std::make_shared<const Value>(std::move(fn));
        return Value::function(std::move(composed));
      }
      return apply(fn, {lhs}, input, node.position);
    }
    case NodeKind::Range:
      return eval_range(node, input, env);
    case NodeKind::Focus:
    case NodeKind::Index:
      return eval_steps({&node}, false, input, env);
    case NodeKind::Placeholder:
      fail("S0201", node.position, "'?' stands for an argument only in a function call");
  }
  return Value();
}

namespace {

// A Path or Block that a `%` looks into (ancestry.cpp): it hands its tuple stream over.
bool hands_stream(const Node& n) {
  return (n.kind == NodeKind::Path || n.kind == NodeKind::Block) && n.tuple;
}

// `x[]`: a one-step path that only marks its step to keep singleton arrays.
bool keeps_singletons(const Node& n) {
  return n.kind == NodeKind::Path && n.flag && !n.tuple && n.children.size() == 1;
}

// Whether a path runs as a tuple stream from this step on: the step binds a variable (`@`,
// `#`), binds its input as the parent of its items (`%`), or hands over a stream of its own.
bool starts_stream(const Node& step) {
  const Node* n = &step;
  while (n->kind == NodeKind::Filter || n->kind == NodeKind::Focus || n->kind == NodeKind::Index ||
         keeps_singletons(*n)) {
    if (n->kind == NodeKind::Focus || n->kind == NodeKind::Index) return true;
    n = n->children[0].get();
  }
  return !n->ancestor.empty() || hands_stream(*n);
}

// The expression a step evaluates, under its predicates, `@`, `#` and `[]`.
const Node& step_base(const Node& step) {
  const Node* n = &step;
  while (n->kind == NodeKind::Filter || n->kind == NodeKind::Focus || n->kind == NodeKind::Index ||
         keeps_singletons(*n)) {
    n = n->children[0].get();
  }
  return *n;
}

}  // namespace

// The steps of a path in turn, as jsonata-js's evaluatePath. Until a step starts a tuple stream
// each step maps the sequence so far; from then on each item travels with a frame holding what
// earlier steps bound: `@$v` binds the step's item to $v and keeps the previous context, `#$i`
// the item's position in the step's result for its context, a step with an `ancestor` label its
// input (the parent `%` refers to). Predicates written after a binding filter the step's whole
// tuple list, as in jsonata-js. An order-by step sorts everything so far. Returns true with the
// stream in `tuples`, or false with the result in `values`; `keep` is the `[]` flag.
bool Evaluator::run_steps(const std::vector<const Node*>& steps, bool& keep, const Value& input,
                          Frame* env, Value& values, std::vector<Tuple>& tuples) {
  std::vector<Value> seq;
  if (step_base(*steps[0]).kind == NodeKind::Variable || !input.is_array()) {
    seq.push_back(input);  // a path from a variable starts from its whole value
  } else {
    seq = to_items(input);
  }
  bool streaming = false;
  for (size_t s = 0; s < steps.size(); ++s) {
    const Node& step = *steps[s];
    const bool last = s + 1 == steps.size();
    if (!streaming && starts_stream(step)) {
      streaming = true;
      for (auto& v : seq) tuples.push_back({std::move(v), env});
      seq.clear();
    }
    if (!streaming && step_base(step).kind == NodeKind::Sort) {
      // an order-by (and its predicates) takes everything so far at once
      for (auto& v : seq) tuples.push_back({std::move(v), env});
      seq.clear();
      tuple_step(step, tuples, keep);
      if (starts_stream(step)) {  // `^(…)#$i`
        streaming = true;
        continue;
      }
      for (auto& t : tuples) seq.push_back(std::move(t.value));
      tuples.clear();
      if (seq.empty()) break;
      continue;
    }
    if (streaming) {
      tuple_step(step, tuples, keep);
      if (tuples.empty()) break;
      continue;
    }
    if (s == 0 && step.kind == NodeKind::Array) {
      // A leading array constructor is evaluated once, against the whole input, and its
      // members are the sequence the next step sees.
      Value arr = eval(step, Value::sequence(std::move(seq)), env);
      if (last) {
        values = keep ? Value::sequence(to_items(arr), true) : arr;
        return false;
      }
      seq = to_items(arr);
      continue;
    }
    std::vector<Value> results;
    for (const Value& item : seq) {
      Value r = eval(step, item, env);
      if (!r.undefined()) results.push_back(std::move(r));
    }
    seq.clear();
    if (last && results.size() == 1 && results[0].is_json() && results[0].json.is_array() &&
        !results[0].cons) {
      // the last step produced exactly one array: it is kept whole
      values = keep ? Value::sequence(to_items(results[0]), true) : std::move(results[0]);
      return false;
    }
    for (auto& r : results) {
      if (r.is_sequence()) {
        for (auto& i : r.items) seq.push_back(std::move(i));
      } else if (r.is_json() && r.json.is_array() && !r.cons) {
        for (const auto& e : r.json) seq.emplace_back(e);
      } else {
        seq.push_back(std::move(r));
      }
    }
    check_size(seq.size(), step.position);
    if (seq.empty()) break;
  }
  if (streaming) return true;
  values = Value::sequence(std::move(seq), keep);
  return false;
}

// One step of a tuple stream (jsonata-js's evaluateTupleStep).
void Evaluator::tuple_step(const Node& step, std::vector<Tuple>& seq, bool& keep) {
  // Peel the step: its base expression, the focus/index variables bound per item, then the
  // predicates and later indexes, applied to the step's whole tuple list. A predicate on a
  // step that binds nothing filters per context, as part of the base.
  std::vector<const Node*> wrappers;  // outermost first
  const Node* base = &step;
  const bool sorts = step_base(step).kind == NodeKind::Sort;
  while (((base->kind == NodeKind::Filter || keeps_singletons(*base)) &&
          (sorts || starts_stream(*base))) ||
         base->kind == NodeKind::Focus || base->kind == NodeKind::Index) {
    if (keeps_singletons(*base)) {
      keep = true;  // `a#$i[]`
    } else {
      wrappers.push_back(base);
    }
    base = base->children[0].get();
  }
  std::vector<const Node*> stages;  // Filter or Index nodes, in the order they apply
  std::string focus, index;
  for (auto it = wrappers.rbegin(); it != wrappers.rend(); ++it) {
    const Node* w = *it;
    if (w->kind == NodeKind::Focus) {
      focus = w->text;
    } else if (w->kind == NodeKind::Index && stages.empty() && index.empty()) {
      index = w->text;
    } else {
      stages.push_back(w);
    }
  }
  if (base->kind == NodeKind::Path && base->flag) keep = true;  // `a[]#$i`
  std::vector<Tuple> out;
  if (sorts) {  // an order-by sorts the whole stream; `#` numbers the sorted items
    out = std::move(seq);
    sort_tuples(*base, out);
    if (!index.empty()) {
      for (size_t i = 0; i < out.size(); ++i) {
        out[i].frame = new_frame(out[i].frame);
        out[i].frame->vars[index] = Value(Json(static_cast<int64_t>(i)));
      }
    }
    seq.clear();
  }
  for (const Tuple& t : seq) {
    if (hands_stream(*base)) {  // its tuples already carry what it bound
      for (Tuple& inner : eval_tuples(*base, t.value, t.frame)) out.push_back(std::move(inner));
      check_size(out.size(), step.position);
      continue;
    }
    // every member of an array the step gives is an item of the stream, even of one built by
    // `[…]` (which a step outside a stream keeps whole), as in jsonata-js
    std::vector<Value> items = to_items(eval(*base, t.value, t.frame));
    Frame* outer = t.frame;
    if (!base->ancestor.empty() && !items.empty()) {
      // the step's input is the parent of each of its items: bound once, shared by them all
      outer = new_frame(t.frame);
      charge(t.value, step.position);
      outer->vars[base->ancestor] = t.value;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      Frame* frame = new_frame(outer);
      if (!index.empty()) frame->vars[index] = Value(Json(static_cast<int64_t>(i)));
      if (!focus.empty()) {
        frame->vars[focus] = std::move(items[i]);
        out.push_back({t.value, frame});
      } else {
        out.push_back({std::move(items[i]), frame});
      }
    }
    check_size(out.size(), step.position);
  }
  for (const Node* stage : stages) {
    if (stage->kind == NodeKind::Index) {
      for (size_t i = 0; i < out.size(); ++i) {
        Frame* frame = new_frame(out[i].frame);
        frame->vars[stage->text] = Value(Json(static_cast<int64_t>(i)));
        out[i].frame = frame;
      }
      continue;
    }
    const Node& pred = *stage->children[1];
    const auto n = static_cast<int64_t>(out.size());
    std::vector<Tuple> kept;
    for (int64_t i = 0; i < n; ++i) {
      Tuple& t = out[static_cast<size_t>(i)];
      Value r = eval(pred, t.value, t.frame);
      bool keep_it = false;
      if (r.is_number()) {
        int64_t k = to_int(std::floor(r.json.get<double>()));
        if (k < 0 && k > INT64_MIN + n) k += n;
        keep_it = k == i;
      } else {
        keep_it = truthy(r);
      }
      if (keep_it) kept.push_back(std::move(t));
    }
    out = std::move(kept);
  }
  seq = std::move(out);
}

// `node` evaluated as a tuple stream. A path or block a `%` looks into gives its own stream
// (with what its steps bound); anything else gives its values, each with `env`.
std::vector<Evaluator::Tuple> Evaluator::eval_tuples(const Node& node, const Value& input,
                                                     Frame* env) {
  count_steps(1, node.position);
  const Nesting nested = enter(node.position);
  if (node.kind == NodeKind::Block && node.tuple && !node.children.empty()) {
    std::vector<Tuple> tuples;
    Frame* scope = new_frame(env);
    for (size_t i = 0; i + 1 < node.children.size(); ++i) eval(*node.children[i], input, scope);
    // what the stream bound goes on; the block's own variables stay inside it
    for (Tuple& t : eval_tuples(*node.children.back(), input, scope)) {
      tuples.push_back({std::move(t.value), lift(t.frame, scope, env, node.position)});
    }
    return tuples;
  }
  bool streamed = false;
  return stream_or_values(node, false, input, env, streamed);
}

std::vector<Evaluator::Tuple> Evaluator::stream_or_values(const Node& node, bool any_path,
                                                          const Value& input, Frame* env,
                                                          bool& streamed) {
  Value values;
  std::vector<Tuple> tuples;
  streamed = false;
  if (node.kind == NodeKind::Path && (any_path || node.tuple)) {
    std::vector<const Node*> steps;
    for (const auto& s : node.children) steps.push_back(s.get());
    bool keep = node.flag;
    streamed = run_steps(steps, keep, input, env, values, tuples);
  } else if (starts_stream(node)) {
    bool keep = false;
    streamed = run_steps({&node}, keep, input, env, values, tuples);
  } else {
    values = eval(node, input, env);
  }
  if (!streamed) {
    for (auto& v : to_items(values)) tuples.push_back({std::move(v), env});
  }
  return tuples;
}

// A frame under `env` with the variables bound from `frame` up to (not including) `stop`,
// the innermost binding of each name.
Frame* Evaluator::lift(Frame* frame, Frame* stop, Frame* env, size_t position) {
  if (frame == stop) return env;
  Frame* out = new_frame(env);
  for (Frame* f = frame; f != nullptr && f != stop; f = f->parent) {
    for (const auto& [name, value] : f->vars) {
      if (out->vars.emplace(name, value).second) charge(value, position);
    }
  }
  return out;
}

Value Evaluator::eval_steps(const std::vector<const Node*>& steps, bool keep, const Value& input,
                            Frame* env) {
  Value values;
  std::vector<Tuple> tuples;
  if (!run_steps(steps, keep, input, env, values, tuples)) return values;
  std::vector<Value> out;
  out.reserve(tuples.size());
  for (auto& t : tuples) out.push_back(std::move(t.value));
  return Value::sequence(std::move(out), keep);
}

// `$v.a.b.c` through objects only, the commonest path in Step Functions (`$states.input.x`),
// walked by pointer so that only the result is copied. nullptr when the path is anything else
// (the general evaluation then gives the same answer, only slower).
const Json* Evaluator::walk_names(const Node& node, Frame* env, size_t& taken, bool& missing) {
  taken = 0;
  missing = false;
  const Node& first = *node.children[0];
  if (first.kind != NodeKind::Variable || first.text.empty() || first.text == "$" ||
      env == nullptr) {
    return nullptr;
  }
  const Json* at = nullptr;
  if (const Value* var = env->find(first.text)) {
    if (!var->is_json() || var->methods) return nullptr;  // functions beside the JSON: look there
    at = &var->json;
  } else {
    at = env->find_ref(first.text);
    if (at == nullptr) return nullptr;
  }
  taken = 1;
  // With `[]` at the end the last step keeps its singleton arrays: leave it to the general way.
  const size_t end = node.children.size() - (node.flag ? 1 : 0);
  while (taken < end && !at->is_array()) {
    // A name, or a name with a constant index (`items[0]`, `items[-1]`).
    const Node& step = *node.children[taken];
    const Node* name = &step;
    std::optional<double> index;
    if (step.kind == NodeKind::Filter && step.children[0]->kind == NodeKind::Name) {
      const Node& pred = *step.children[1];
      if (pred.kind == NodeKind::Number) {
        index = pred.number;
      } else if (pred.kind == NodeKind::Negate && pred.children[0]->kind == NodeKind::Number) {
        index = -pred.children[0]->number;
      } else {
        break;
      }
      name = step.children[0].get();
    } else if (step.kind != NodeKind::Name) {
      break;
    }
    count_steps(1, step.position);
    auto it = at->is_object() ? at->find(name->text) : at->end();
    if (!at->is_object() || it == at->end()) {
      missing = true;
      return nullptr;
    }
    const Json* next = &*it;
    if (index) {
      // A value that is not an array is a sequence of one.
      const auto n = static_cast<int64_t>(next->is_array() ? next->size() : 1);
      int64_t k = to_int(std::floor(*index));
      if (k < 0) k += n;
      if (k < 0 || k >= n) {
        missing = true;
        return nullptr;
      }
      if (next->is_array()) {
        next = &(*next)[static_cast<size_t>(k)];
        if (next->is_array()) break;  // nested arrays: leave them to the general way
      }
    }
    at = next;
    ++taken;
  }
  return at;
}

Value Evaluator::eval_path(const Node& node, const Value& input, Frame* env) {
  std::vector<const Node*> steps;
  for (const auto& s : node.children) steps.push_back(s.get());
  const bool plain = std::none_of(node.children.begin(), node.children.end(), [](const NodePtr& s) {
    return starts_stream(*s) || s->kind == NodeKind::Sort;
  });
  if (plain) {
    size_t taken = 0;
    bool missing = false;
    if (const Json* at = walk_names(node, env, taken, missing)) {
      // `$v.a.b…` walked in place: only what it reached is copied, and the rest of the path
      // runs from there (unless it goes on with an array constructor, which a path treats
      // differently as its first step).
      Value reached(*at);
      charge(reached, node.position);
      if (taken == steps.size()) return reached;
      if (steps[taken]->kind != NodeKind::Array) {
        return eval_steps({steps.begin() + static_cast<std::ptrdiff_t>(taken), steps.end()},
                          node.flag, reached, env);
      }
    } else if (missing) {
      return Value();
    }
  }
  return eval_steps(steps, node.flag, input, env);
}

Value Evaluator::eval_filter(const Node& node, const Value& input, Frame* env) {
  if (starts_stream(node)) return eval_steps({&node}, false, input, env);
  Value subject = eval(*node.children[0], input, env);
  std::vector<Value> items = to_items(subject);
  const Node& pred = *node.children[1];
  const auto n = static_cast<int64_t>(items.size());
  auto index_matches = [n](double idx, int64_t i) {
    int64_t k = to_int(std::floor(idx));
    if (k < 0 && k > INT64_MIN + n) k += n;
    return k == i;
  };
  std::vector<Value> out;
  if (pred.kind == NodeKind::Number) {
    for (int64_t i = 0; i < n; ++i) {
      if (index_matches(pred.number, i)) out.push_back(items[static_cast<size_t>(i)]);
    }
    return Value::sequence(std::move(out));
  }
  for (int64_t i = 0; i < n; ++i) {
    Value& item = items[static_cast<size_t>(i)];
    Value r = eval(pred, item, env);
    bool keep = false;
    if (r.is_number()) {
      keep = index_matches(number_of(r), i);
    } else if (std::vector<Value> ks = to_items(r);
               r.is_array() && !ks.empty() &&
               std::all_of(ks.begin(), ks.end(), [](const Value& v) { return v.is_number(); })) {
      for (const auto& k : ks) keep = keep || index_matches(number_of(k), i);
    } else {
      keep = truthy(r);
    }
    if (keep) out.push_back(std::move(item));
  }
  return Value::sequence(std::move(out));
}

Value Evaluator::eval_binary(const Node& node, const Value& input, Frame* env) {
  const std::string& op = node.text;
  if (op == "and") {
    return Value(Json(truthy(eval(*node.children[0], input, env)) &&
                      truthy(eval(*node.children[1], input, env))));
  }
  if (op == "or") {
    return Value(Json(truthy(eval(*node.children[0], input, env)) ||
                      truthy(eval(*node.children[1], input, env))));
  }
  Value lhs = eval(*node.children[0], input, env);
  Value rhs = eval(*node.children[1], input, env);
  if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") {
    if (!lhs.undefined() && !lhs.is_number()) {
      fail("T2001", node.position,
           "The left side of the \"" + op + "\" operator must evaluate to a number");
    }
    if (!rhs.undefined() && !rhs.is_number()) {
      fail("T2002", node.position,
           "The right side of the \"" + op + "\" operator must evaluate to a number");
    }
    if (lhs.undefined() || rhs.undefined()) return Value();
    double a = number_of(lhs), b = number_of(rhs), r = 0;
    if (op == "+")
      r = a + b;
    else if (op == "-")
      r = a - b;
    else if (op == "*")
      r = a * b;
    else if (op == "/")
      r = a / b;
    else
      r = std::fmod(a, b);
    if (!std::isfinite(r)) fail("D1001", node.position, "Number out of range: " + op);
    return Value(make_number(r));
  }
  if (op == "&") {
    auto text = [](const Value& v) -> std::string {
      if (v.undefined()) return "";
      if (v.is_string()) return v.json.get<std::string>();
      return stringify(v, false);
    };
    std::string s = text(lhs) + text(rhs);
    check_size(s.size(), node.position);
    return Value(Json(std::move(s)));
  }
  if (op == "=" || op == "!=") {
    if (lhs.undefined() || rhs.undefined()) return Value(Json(false));
    bool eq = deep_equal(lhs, rhs);
    return Value(Json(op == "=" ? eq : !eq));
  }
  if (op == "in") {
    if (lhs.undefined() || rhs.undefined()) return Value(Json(false));
    for (const auto& item : to_items(rhs)) {
      if (deep_equal(lhs, item)) return Value(Json(true));
    }
    return Value(Json(false));
  }
  // < <= > >=
  auto comparable = [](const Value& v) { return v.undefined() || v.is_number() || v.is_string(); };
  if (!comparable(lhs) || !comparable(rhs)) {
    fail("T2010", node.position,
         "The expressions either side of operator \"" + op +
             "\" must evaluate to numeric or string values");
  }
  if (lhs.undefined() || rhs.undefined()) return Value();
  if (lhs.is_number() != rhs.is_number()) {
    fail("T2009", node.position,
         "The values " + stringify(lhs, false) + " and " + stringify(rhs, false) +
             " either side of operator \"" + op + "\" must be of the same data type");
  }
  int c = 0;
  if (lhs.is_number()) {
    double a = number_of(lhs), b = number_of(rhs);
    c = a < b ? -1 : (a > b ? 1 : 0);
  } else {
    c = lhs.json.get_ref<const std::string&>().compare(rhs.json.get_ref<const std::string&>());
  }
  bool r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
  return Value(Json(r));
}

Value Evaluator::eval_array(const Node& node, const Value& input, Frame* env) {
  Json arr = Json::array();
  for (const auto& child : node.children) {
    Value v = eval(*child, input, env);
    if (v.undefined()) continue;
    if (child->kind == NodeKind::Array) {
      arr.push_back(to_json(v));
    } else if (v.is_array()) {
      for (const auto& item : to_items(v)) arr.push_back(to_json(item));
    } else {
      arr.push_back(to_json(v));
    }
    check_size(arr.size(), node.position);
  }
  Value out(std::move(arr));
  out.cons = true;
  return out;
}

Value Evaluator::eval_range(const Node& node, const Value& input, Frame* env) {
  Value lo = eval(*node.children[0], input, env);
  Value hi = eval(*node.children[1], input, env);
  auto is_int = [](const Value& v) {
    return v.is_number() && number_of(v) == std::floor(number_of(v));
  };
  if (!lo.undefined() && !is_int(lo)) {
    fail("T2003", node.position,
         "The left side of the range operator (..) must evaluate to an integer");
  }
  if (!hi.undefined() && !is_int(hi)) {
    fail("T2004", node.position,
         "The right side of the range operator (..) must evaluate to an integer");
  }
  if (lo.undefined() || hi.undefined()) return Value();
  double a = number_of(lo), b = number_of(hi);
  if (a > b) return Value::sequence();
  if (b - a >= 1e7) {
    fail("D2014", node.position,
         "The size of the sequence allocated by the range operator (..) must not exceed 1e7");
  }
  check_size(static_cast<size_t>(b - a + 1), node.position);
  std::vector<Value> out;
  for (auto i = static_cast<int64_t>(a); i <= static_cast<int64_t>(b); ++i)
    out.emplace_back(Json(i));
  return Value::sequence(std::move(out));
}

namespace {

// The variables bound from `frame` up to (not including) `stop`, the innermost of each name.
std::vector<std::pair<const std::string*, const Value*>> bindings(const Frame* frame,
                                                                  const Frame* stop) {
  std::vector<std::pair<const std::string*, const Value*>> out;
  for (const Frame* f = frame; f != nullptr && f != stop; f = f->parent) {
    for (const auto& var : f->vars) {
      // (not a structured binding: clang 14 cannot capture one in a lambda)
      const std::string& name = var.first;
      if (std::none_of(out.begin(), out.end(), [&](const auto& b) { return *b.first == name; })) {
        out.emplace_back(&name, &var.second);
      }
    }
  }
  return out;
}

// Several values as one, as jsonata-js's $append joins them: arrays give their members.
Value joined(std::vector<Value> values) {
  if (values.size() == 1) return std::move(values[0]);
  std::vector<Value> items;
  for (auto& v : values) {
    for (auto& item : to_items(v)) items.push_back(std::move(item));
  }
  return Value::sequence(std::move(items));
}

}  // namespace

Value Evaluator::eval_group_by(const Node& node, const Value& input, Frame* env) {
  // The subject's tuple stream, when it has one, reaches the keys and values (jsonata-js
  // groups a path's tuples).
  bool streamed = false;
  std::vector<Tuple> tuples = stream_or_values(*node.children[0], true, input, env, streamed);
  return eval_group(node, std::move(tuples), streamed, env);
}

Value Evaluator::eval_group(const Node& node, std::vector<Tuple> items, bool streamed, Frame* env) {
  // Each item is placed in the group of the key it evaluates to, per pair; the value
  // expression is then evaluated once per group, with the group's items as context (and, for
  // a tuple stream, each variable bound to its values in the group's tuples, joined).
  if (items.empty()) items.push_back({Value(), env});  // constant keys still produce an object
  struct Group {
    size_t pair;
    std::vector<size_t> members;
  };
  std::vector<std::pair<std::string, Group>> groups;  // in first-seen order
  std::unordered_map<std::string, size_t> group_of;
  for (size_t i = 0; i < items.size(); ++i) {
    const Tuple& item = items[i];
    for (size_t p = 0; p < node.pairs.size(); ++p) {
      Value key = eval(*node.pairs[p].first, item.value, item.frame);
      if (key.undefined()) continue;
      if (!key.is_string()) {
        fail("T1003", node.pairs[p].first->position,
             "Key in object structure must evaluate to a string; got: " + stringify(key, false));
      }
      const std::string& k = key.json.get_ref<const std::string&>();
      auto found = group_of.find(k);
      if (found == group_of.end()) {
        found = group_of.emplace(k, groups.size()).first;
        groups.push_back({k, Group{p, {}}});
      }
      auto it = groups.begin() + static_cast<ptrdiff_t>(found->second);
      if (it->second.pair != p) {
        fail("D1009", node.pairs[p].first->position,
             "Multiple key definitions evaluate to same key: \"" + k + "\"");
      }
      if (!item.value.undefined()) it->second.members.push_back(i);
    }
  }
  Json out = Json::object();
  for (auto& [key, group] : groups) {
    std::vector<Value> context;
    for (size_t i : group.members) {
      if (!items[i].value.undefined()) context.push_back(items[i].value);
    }
    Frame* frame = env;
    if (streamed && group.members.size() == 1) {
      frame = items[group.members[0]].frame;
    } else if (streamed && !group.members.empty()) {
      std::vector<std::pair<std::string, std::vector<Value>>> vars;  // first-seen order
      for (size_t i : group.members) {
        for (const auto& binding : bindings(items[i].frame, env)) {
          const std::string* name = binding.first;
          const Value* value = binding.second;
          auto v = std::find_if(vars.begin(), vars.end(),
                                [&](const auto& entry) { return entry.first == *name; });
          if (v == vars.end()) v = vars.insert(vars.end(), {*name, {}});
          charge(*value, node.position);
          v->second.push_back(*value);
        }
      }
      frame = new_frame(env);
      for (auto& [name, vals] : vars) frame->vars[name] = joined(std::move(vals));
    }
    Value v = eval(*node.pairs[group.pair].second,
                   context.empty() ? Value::sequence() : joined(std::move(context)), frame);
    if (!v.undefined() && !v.is_function()) append_member(out, key, to_json(v));
  }
  return Value(std::move(out));
}

void Evaluator::sort_tuples(const Node& node, std::vector<Tuple>& items) {
  const size_t terms = node.children.size();
  std::vector<std::vector<Value>> keys(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t t = 0; t < terms; ++t) {
      keys[i].push_back(eval(*node.children[t], items[i].value, items[i].frame));
    }
  }
  for (size_t t = 0; t < terms; ++t) {
    int kind = 0;  // 1 number, 2 string
    for (auto& k : keys) {
      const Value& v = k[t];
      if (v.undefined()) continue;
      int this_kind = v.is_number() ? 1 : v.is_string() ? 2 : 0;
      if (this_kind == 0) {
        fail("T2008", node.children[t]->position,
             "The expressions within an order-by clause must evaluate to numeric or string values");
      }
      if (kind != 0 && kind != this_kind) {
        fail("T2007", node.children[t]->position,
             "Type mismatch when comparing values in an order-by clause");
      }
      kind = this_kind;
    }
  }
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (size_t t = 0; t < terms; ++t) {
      const Value& x = keys[a][t];
      const Value& y = keys[b][t];
      if (x.undefined() && y.undefined()) continue;
      if (x.undefined()) return false;  // undefined sorts last
      if (y.undefined()) return true;
      int c = 0;
      if (x.is_number()) {
        double p = number_of(x), q = number_of(y);
        c = p < q ? -1 : (p > q ? 1 : 0);
      } else {
        c = x.json.get_ref<const std::string&>().compare(y.json.get_ref<const std::string&>());
      }
      if (c != 0) return node.descending[t] ? c > 0 : c < 0;
    }
    return false;
  });
  std::vector<Tuple> sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
}

Value Evaluator::eval_call(const Node& node, const Value& input, Frame* env, const Value* first) {
  const Node& callee = *node.children[0];
  Value fn = eval(callee, input, env);
  if (!fn.is_function()) {
    if (callee.kind == NodeKind::Variable) {
      fail("T1006", node.position, "Attempted to invoke a non-function: $" + callee.text);
    }
    fail("T1006", node.position, "Attempted to invoke a non-function");
  }
  std::vector<Value> args;
  std::vector<bool> hole;
  if (first != nullptr) {
    args.push_back(*first);
    hole.push_back(false);
  }
  for (size_t i = 1; i < node.children.size(); ++i) {
    const bool placeholder = node.children[i]->kind == NodeKind::Placeholder;
    args.push_back(placeholder ? Value() : eval(*node.children[i], input, env));
    hole.push_back(placeholder);
  }
  if (std::find(hole.begin(), hole.end(), true) != hole.end()) {
    auto partial = std::make_shared<Function>();
    partial->target = std::make_shared<const Value>(std::move(fn));
    partial->bound = std::move(args);
    partial->hole = std::move(hole);
    return Value::function(std::move(partial));
  }
  return apply(fn, std::move(args), input, node.position,
               callee.kind == NodeKind::Variable ? callee.text : std::string());
}

Value Evaluator::call_lambda(const Function& f, std::vector<Value> args, const Value& context,
                             size_t position, const std::string& name, bool check_signature) {
  if (check_signature && f.lambda->signature != nullptr) {
    args = f.lambda->signature->validate(args, context, name, position, *this);
  }
  Frame* scope = new_frame(f.closure);
  for (size_t i = 0; i < f.lambda->params.size(); ++i) {
    scope->vars[f.lambda->params[i]] = i < args.size() ? std::move(args[i]) : Value();
  }
  return eval(*f.lambda->children[0], *f.context, scope);
}

Value Evaluator::apply(const Value& fn, std::vector<Value> args, const Value& context,
                       size_t position, const std::string& name) {
  const Nesting nested = enter(position);
  if (!fn.is_function()) fail("T1006", position, "Attempted to invoke a non-function");
  const Function& f = *fn.fn;
  if (f.then != nullptr) {
    Value r = apply(*f.target, std::move(args), context, position);
    return apply(*f.then, {std::move(r)}, context, position);
  }
  if (f.target != nullptr) {  // fill the holes of a partial application in order
    std::vector<Value> full = f.bound;
    size_t next = 0;
    for (size_t i = 0; i < full.size(); ++i) {
      if (f.hole[i] && next < args.size()) full[i] = std::move(args[next++]);
    }
    // jsonata-js binds the arguments of a partially applied lambda without checking them
    // against its signature
    if (f.target->fn->lambda != nullptr) {
      return call_lambda(*f.target->fn, std::move(full), context, position, name, false);
    }
    return apply(*f.target, std::move(full), context, position, name);
  }
  if (f.lambda != nullptr) {
    return call_lambda(f, std::move(args), context, position, name, true);
  }
  if (f.transform != nullptr) {
    if (args.size() > 1) fail("T0410", position, "A transform takes one argument");
    return apply_transform(*this, *f.transform, f.closure, args.empty() ? Value() : args[0],
                           position);
  }
  if (f.regex != nullptr && f.subject != nullptr) {  // a match's next(): the match after it
    if (f.resume >= f.subject->size()) return Value();
    std::optional<Regex::Match> m = f.regex->search(*f.subject, f.resume);
    if (!m) return Value();
    count_steps(1 + (m->end - f.resume) / 64, position);
    if (m->begin == m->end) {  // it would never advance
      fail("D1004", position, "Regular expression matches zero length string");
    }
    return matcher_object(f.regex, f.subject, *m, f.resume, f.resume_chars);
  }
  if (f.regex != nullptr) {  // a regular expression applied to a string: its first match
    const Value& subject = args.empty() ? context : args[0];
    if (subject.undefined()) return Value();
    if (!subject.is_string()) fail("T0410", position, "A regular expression matches strings only");
    charge(subject, position);
    auto text = std::make_shared<const std::string>(subject.json.get_ref<const std::string&>());
    std::optional<Regex::Match> m = f.regex->search(*text);
    return m ? matcher_object(f.regex, text, *m, 0, 0) : Value();
  }
  if (f.host != nullptr) {
    if (args.size() < f.host->min_args || args.size() > f.host->max_args) {
      fail("T0410", position, "Argument count of a function does not match its signature");
    }
    std::vector<std::optional<Json>> host_args;
    for (const auto& arg : args) {
      charge(arg, position);
      host_args.push_back(arg.undefined() ? std::nullopt : std::optional<Json>(to_json(arg)));
    }
    std::optional<Json> r = f.host->impl(host_args);
    return r ? Value(std::move(*r)) : Value();
  }
  const Builtin& b = *f.builtin;
  const bool context_arg = b.context_first && args.size() < b.min_args;
  if (context_arg) args.insert(args.begin(), context);
  if (args.size() < b.min_args || args.size() > b.max_args) {
    fail("T0410", position,
         "Argument count of function $" + b.name + " does not match its signature");
  }
  for (const auto& arg : args) charge(arg, position);
  CallSite site{*this, position, b.name, context, context_arg};
  return collapse(b.impl(args, site));
}

namespace {

size_t code_points_between(const std::string& text, size_t from, size_t to) {
  size_t n = 0;
  for (size_t i = from; i < to; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

// {"match", "start", "end", "groups"} and the function `next`, as jsonata-js's matcher gives
// them; `start` and `end` count code points. Counting starts at byte `from`, code point
// `from_chars`, so that following `next` along a text costs time linear in it.
Value matcher_object(const std::shared_ptr<const Regex>& re,
                     const std::shared_ptr<const std::string>& text, const Regex::Match& m,
                     size_t from, size_t from_chars) {
  const std::string& t = *text;
  const size_t start = from_chars + code_points_between(t, from, m.begin);
  const size_t end = start + code_points_between(t, m.begin, m.end);
  Json groups = Json::array();
  for (const auto& g : m.groups) {
    groups.push_back(g ? t.substr(g->first, g->second - g->first) : std::string());
  }
  Value out(Json{{"match", t.substr(m.begin, m.end - m.begin)},
                 {"start", static_cast<int64_t>(start)},
                 {"end", static_cast<int64_t>(end)},
                 {"groups", std::move(groups)}});
  auto next = std::make_shared<Function>();
  next->regex = re;
  next->subject = text;
  next->resume = m.end;
  next->resume_chars = end;
  out.methods = std::make_shared<const std::vector<std::pair<std::string, Value>>>(
      std::vector<std::pair<std::string, Value>>{{"next", Value::function(std::move(next))}});
  return out;
}

// {"match", "index", "groups"} as $match gives them; `index` counts code points.
Json match_object(const std::string& text, const Regex::Match& m) {
  auto code_points = [&](size_t bytes) {
    size_t n = 0;
    for (size_t i = 0; i < bytes; ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
    }
    return static_cast<int64_t>(n);
  };
  Json groups = Json::array();
  for (const auto& g : m.groups) {
    groups.push_back(g ? text.substr(g->first, g->second - g->first) : std::string());
  }
  return Json{{"match", text.substr(m.begin, m.end - m.begin)},
              {"index", code_points(m.begin)},
              {"groups", std::move(groups)}};
}

// --- the public interface ----------------------------------------------------------------------

Expression Expression::parse(std::string_view text) {
  Expression e;
  e.source_ = std::string(text);
  e.root_ = std::shared_ptr<const Node>(parse_expression(e.source_));
  return e;
}

std::optional<Json> Expression::evaluate(const Json& input, const Options& options,
                                         bool* function_result) const {
  Evaluator ev(options, input);
  std::deque<Frame> globals(1);
  for (const auto& [name, value] : options.bindings) globals[0].vars[name] = Value(value);
  for (const auto& [name, ref] : options.references) {
    if (ref != nullptr) globals[0].refs.emplace(name, ref);
  }
  Value v = ev.eval(*root_, Value(input), &globals[0]);
  if (function_result) *function_result = v.is_function();
  if (v.undefined() || v.is_function()) return std::nullopt;
  return to_json(v);
}

std::optional<Json> evaluate(std::string_view expression, const Json& input,
                             const Options& options) {
  return Expression::parse(expression).evaluate(input, options);
}

}  // namespace stepd::jsonata
