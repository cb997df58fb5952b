#pragma once
// The tree-walking evaluator and the helpers the function library shares with it.
// Internal to core/jsonata.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/jsonata/ast.h"
#include "core/jsonata/jsonata.h"
#include "core/jsonata/regex.h"
#include "core/jsonata/value.h"

namespace stepd::jsonata {

// A scope of `$name := ...` bindings. Frames live in the evaluation's arena (not in shared
// pointers) so that a recursive lambda, which refers to the frame holding it, leaks nothing.
struct Frame {
  Frame* parent = nullptr;
  std::unordered_map<std::string, Value> vars;
  // The host's Options::references; only the outermost frame has any.
  std::unordered_map<std::string, const Json*> refs;
  const Value* find(const std::string& name) const;
  // The reference bound under `name`, or nullptr. Look with find() first: a value bound in any
  // frame shadows it.
  const Json* find_ref(const std::string& name) const;
};

class Evaluator;

// Where a library function was called from, and what it may need to call back.
struct CallSite {
  Evaluator& ev;
  size_t position;
  const std::string& name;  // without `$`
  const Value& context;
  bool context_arg = false;  // the first argument is the context, not written in the call
};

struct Builtin {
  std::string name;
  Value (*impl)(std::vector<Value>& args, const CallSite& site);
  size_t min_args;
  size_t max_args;
  bool context_first;  // called with fewer than min_args: the context is the first argument
};

// nullptr when there is no such library function.
const Builtin* find_builtin(std::string_view name);

class Evaluator {
 public:
  Evaluator(const Options& options, const Json& root);

  Value eval(const Node& node, const Value& input, Frame* env);
  // `name` (without `$`) is the function's name in the call, for error messages.
  Value apply(const Value& fn, std::vector<Value> args, const Value& context, size_t position,
              const std::string& name = std::string());

  // --- helpers shared with the function library ----------------------------------------------
  [[noreturn]] static void fail(const char* code, size_t position, std::string message);
  // Refuses a collection or string of n items/bytes over the size bound; building it also
  // counts n steps, so that no single step can do unbounded work.
  void check_size(size_t n, size_t position);
  // For a result built up in a loop: counts the `added` items/bytes as steps and refuses a
  // result that has grown to `size` past the bound. (check_size on the running size would
  // count the whole result again on every round: quadratic.)
  void check_growth(size_t size, size_t added, size_t position);
  // Adds n to the steps taken (U1002 past the bound).
  void count_steps(uint64_t n, size_t position);
  // Counts the cost of copying `v` as steps.
  void charge(const Value& v, size_t position);
  int64_t now_ms() const { return now_ms_; }
  double random();

 private:
  // One level of nesting, left when it goes out of scope.
  struct Nesting {
    size_t& depth;
    ~Nesting() { --depth; }
  };
  // Enters one level of nesting (U1001 past the depth bound): evaluations and calls.
  Nesting enter(size_t position);

  Value eval_node(const Node& node, const Value& input, Frame* env);
  Value eval_path(const Node& node, const Value& input, Frame* env);
  // A path that starts with a variable bound to JSON and goes on with names ($states.input.a…)
  // is walked in place as far as those names go, without copying. Returns what was reached and
  // sets `taken` to the steps walked (the variable counts), or nullptr: with `missing` set when
  // a name was absent (the path gives nothing), else when the path does not start that way.
  const Json* walk_names(const Node& node, Frame* env, size_t& taken, bool& missing);
  Value eval_filter(const Node& node, const Value& input, Frame* env);
  Value eval_binary(const Node& node, const Value& input, Frame* env);
  Value eval_array(const Node& node, const Value& input, Frame* env);
  // An item of a path's tuple stream: a value and the frame holding what the path bound.
  struct Tuple {
    Value value;
    Frame* frame;
  };
  Value eval_group_by(const Node& node, const Value& input, Frame* env);
  Value eval_group(const Node& node, std::vector<Tuple> items, bool streamed, Frame* env);
  void sort_tuples(const Node& sort, std::vector<Tuple>& items);
  Value eval_call(const Node& node, const Value& input, Frame* env, const Value* first);
  Value eval_range(const Node& node, const Value& input, Frame* env);
  bool run_steps(const std::vector<const Node*>& steps, bool& keep, const Value& input, Frame* env,
                 Value& values, std::vector<Tuple>& tuples);
  void tuple_step(const Node& step, std::vector<Tuple>& seq, bool& keep);
  std::vector<Tuple> eval_tuples(const Node& node, const Value& input, Frame* env);
  // The tuple stream of `node` when it makes one (a path that binds or that a `%` looks into —
  // any path when `any_path` — or a binding step), else its values each with `env`; `streamed`
  // says which.
  std::vector<Tuple> stream_or_values(const Node& node, bool any_path, const Value& input,
                                      Frame* env, bool& streamed);
  Frame* lift(Frame* frame, Frame* stop, Frame* env, size_t position);
  Value eval_steps(const std::vector<const Node*>& steps, bool keep, const Value& input,
                   Frame* env);
  Value call_lambda(const Function& f, std::vector<Value> args, const Value& context,
                    size_t position, const std::string& name, bool check_signature);
  Frame* new_frame(Frame* parent);

  const Options& options_;
  Value root_;
  int64_t now_ms_;
  std::optional<std::mt19937_64> rng_;
  size_t depth_ = 0;
  uint64_t steps_ = 0;
  std::deque<Frame> frames_;
};

// A transform `| location | update [, delete] |` (transform.cpp) applied to `arg`: a modified
// deep copy of it. `env` is the scope the transform was written in.
Value apply_transform(Evaluator& ev, const Node& transform, Frame* env, const Value& arg,
                      size_t position);

// --- value helpers -----------------------------------------------------------------------------

// A Value as a list of items: undefined is empty, arrays and sequences give their members,
// anything else is a list of one.
std::vector<Value> to_items(const Value& v);
// Sequences of none become undefined, of one their item (unless they keep singletons).
Value collapse(Value v);

// The object $match gives for one match.
Json match_object(const std::string& text, const Regex::Match& m);
// The object a regular expression called as a function gives for a match (and its `next()`
// for the one after): `text` is the subject, counted from byte `from` = code point
// `from_chars`.
Value matcher_object(const std::shared_ptr<const Regex>& re,
                     const std::shared_ptr<const std::string>& text, const Regex::Match& m,
                     size_t from, size_t from_chars);
// For output and for storing in arrays/objects. Functions become null.
Json to_json(const Value& v);
// Adds a member the caller knows `obj` (an object) does not have yet. ordered_json looks keys
// up linearly, so `obj[key] = value` in a loop is quadratic; this is not.
void append_member(Json& obj, std::string key, Json value);
// JSONata's truthiness.
bool truthy(const Value& v);
bool deep_equal(const Json& a, const Json& b);
bool deep_equal(const Value& a, const Value& b);
// A double as an integer, saturating (casting an out-of-range double is undefined behaviour).
int64_t to_int(double d);
// An integral double becomes a JSON integer so that 1+2 prints as 3, not 3.0.
Json make_number(double d);
// Numbers printed the way JSONata does: 15 significant digits, JavaScript exponent style.
std::string format_number(double d);
// $string's JSON text (numbers as format_number prints them).
std::string stringify(const Value& v, bool pretty);
const char* type_name(const Value& v);

}  // namespace stepd::jsonata
