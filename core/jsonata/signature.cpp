// Lambda type signatures: parsing `<…>` and checking the arguments of a call against it.
#include "core/jsonata/signature.h"

#include <algorithm>
#include <cstdint>

#include "core/jsonata/evaluator.h"

namespace stepd::jsonata {
namespace {

// The letter a value has in the argument string the parameters are matched against: its type's
// initial (s n b a o f), except null (l) and undefined (m).
char letter_of(const Value& v) {
  const std::string_view type = type_name(v);
  if (type == "null") return 'l';
  if (type == "undefined") return 'm';
  return type[0];
}

// Where `text[open_at]` opens a bracket, the index of the one that closes it (text.size() when
// none does).
size_t closing(std::string_view text, size_t open_at, char open, char close) {
  int depth = 1;
  size_t i = open_at;
  while (i < text.size()) {
    ++i;
    if (i >= text.size()) break;
    if (text[i] == close) {
      if (--depth == 0) break;
    } else if (text[i] == open) {
      ++depth;
    }
  }
  return i;
}

std::string plural(const std::string& subtype) {
  if (subtype == "a") return "arrays";
  if (subtype == "b") return "booleans";
  if (subtype == "f") return "functions";
  if (subtype == "n") return "numbers";
  if (subtype == "o") return "objects";
  if (subtype == "s") return "strings";
  return subtype;
}

}  // namespace

std::shared_ptr<const Signature> Signature::parse(std::string_view text, size_t position) {
  auto sig = std::make_shared<Signature>();
  sig->text_ = std::string(text);
  auto& params = sig->params_;
  auto fail = [&](const char* code, size_t at, std::string message) {
    throw Error(code, position + at, std::move(message));
  };
  // position 0 is the opening `<`; the closing `>` matches no case below and is skipped
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ':') break;  // the return type is not checked
    Param p;
    switch (c) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o':
        p.accepts = std::string(1, c) + "m";
        break;
      case 'a':
      case 'x':
        p.accepts = "asnblfom";
        break;
      case 'j':
        p.accepts = "asnblom";
        break;
      case 'f':
        p.accepts = "f";
        break;
      case '(': {
        size_t end = closing(text, i, '(', ')');
        std::string choice(text.substr(i + 1, end - std::min(end, i + 1)));
        if (choice.find('<') != std::string::npos) {
          fail("S0402", i, "Choice groups containing parameterized types are not supported");
        }
        p.accepts = choice + "m";
        i = end;
        break;
      }
      case '-':
      case '?':
      case '+':
        // a modifier of the parameter before it (one before any parameter changes nothing)
        if (!params.empty()) {
          Param& prev = params.back();
          if (c == '-') {
            prev.use_context = true;
            prev.context_any = prev.modifiers.find('?') != std::string::npos;
            prev.modifiers += '?';
          } else {
            prev.modifiers += c;
          }
        }
        continue;
      case '<': {
        if (params.empty() || (params.back().type != 'a' && params.back().type != 'f')) {
          fail("S0401", i, "Type parameters can only be applied to functions and arrays");
        }
        size_t end = closing(text, i, '<', '>');
        params.back().subtype = std::string(text.substr(i + 1, end - std::min(end, i + 1)));
        i = end;
        continue;
      }
      default:
        continue;  // not a type symbol
    }
    p.type = c;
    params.push_back(std::move(p));
  }
  for (size_t k = 0; k < params.size(); ++k) {
    Param& p = params[k];
    const std::string& m = p.modifiers;
    if (m.empty()) continue;
    if (m == "?" || m == "??") {
      p.min = 0;
    } else if (m == "+" || m == "+?") {
      p.max = SIZE_MAX;
    } else {
      fail("S0401", 0,
           "Type signature " + sig->text_ + ": the modifiers '" + m + "' cannot be combined");
    }
    p.lazy = m.size() == 2;
  }
  return sig;
}

std::optional<std::vector<std::pair<size_t, size_t>>> Signature::match(const std::string& letters,
                                                                       size_t count, bool anchored,
                                                                       Evaluator& ev,
                                                                       size_t position) const {
  const size_t n = letters.size();
  ev.count_steps(3 * static_cast<uint64_t>(count + 1) * (n + 1), position);
  // run[i][j]: how many letters from j on parameter i accepts in a row
  std::vector<std::vector<size_t>> run(count, std::vector<size_t>(n + 1, 0));
  for (size_t i = 0; i < count; ++i) {
    for (size_t j = n; j-- > 0;) {
      if (params_[i].accepts.find(letters[j]) != std::string::npos) run[i][j] = run[i][j + 1] + 1;
    }
  }
  // ok[i][j]: parameters i… can match from letter j on (up to the end, when anchored)
  std::vector<std::vector<char>> ok(count + 1, std::vector<char>(n + 1, 0));
  for (size_t j = 0; j <= n; ++j) ok[count][j] = !anchored || j == n;
  std::vector<size_t> before(n + 2, 0);
  for (size_t i = count; i-- > 0;) {
    for (size_t j = 0; j <= n; ++j) before[j + 1] = before[j] + (ok[i + 1][j] ? 1 : 0);
    for (size_t j = 0; j <= n; ++j) {
      const size_t lo = j + params_[i].min;
      const size_t hi = j + std::min(params_[i].max, run[i][j]);
      ok[i][j] = lo <= hi && before[hi + 1] > before[lo];
    }
  }
  if (!ok[0][0]) return std::nullopt;
  // the match a backtracking engine finds first: each parameter takes the length it prefers
  // among those that let the rest match
  std::vector<std::pair<size_t, size_t>> out;
  size_t j = 0;
  for (size_t i = 0; i < count; ++i) {
    const Param& p = params_[i];
    const size_t most = std::min(p.max, run[i][j]);
    size_t len = p.lazy ? p.min : most;
    while (!ok[i + 1][j + len]) len = p.lazy ? len + 1 : len - 1;
    out.emplace_back(j, len);
    j += len;
  }
  return out;
}

std::vector<Value> Signature::validate(const std::vector<Value>& args, const Value& context,
                                       const std::string& name, size_t position,
                                       Evaluator& ev) const {
  std::string letters;
  for (const Value& a : args) letters += letter_of(a);
  const std::string who = name.empty() ? "the function" : "function $" + name;
  auto matched = match(letters, params_.size(), true, ev, position);
  if (!matched) {
    // Blame the first argument that the parameters, taken one more at a time, cannot reach.
    size_t good_to = 0;
    for (size_t k = 1; k <= params_.size(); ++k) {
      auto prefix = match(letters, k, false, ev, position);
      if (!prefix) break;
      good_to = prefix->back().first + prefix->back().second;
    }
    Evaluator::fail("T0410", position,
                    "Argument " + std::to_string(good_to + 1) + " of " + who +
                        " does not match function signature");
  }
  std::vector<Value> out;
  size_t next = 0;  // the argument the next parameter takes
  auto arg = [&](size_t i) { return i < args.size() ? args[i] : Value(); };
  for (size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    const auto [first, len] = (*matched)[i];
    if (len == 0) {
      if (p.use_context) {
        if (!p.context_any && p.accepts.find(letter_of(context)) == std::string::npos) {
          Evaluator::fail("T0411", position,
                          "Context value is not a compatible type with argument " +
                              std::to_string(next + 1) + " of " + who);
        }
        out.push_back(context);
      } else {
        // As in jsonata-js, a parameter that took no argument is still given the next one
        // (which is undefined unless an optional parameter sits before a required one).
        out.push_back(arg(next++));
      }
      continue;
    }
    const std::string taken = letters.substr(first, len);
    for (char single : taken) {
      Value v = arg(next);
      if (p.type == 'a' && single != 'm') {
        bool fits = true;
        if (!p.subtype.empty()) {
          if (single != 'a') {
            fits = taken == p.subtype;
          } else {
            std::vector<Value> items = to_items(v);
            if (!items.empty()) {
              const char kind = letter_of(items[0]);
              fits = kind == p.subtype[0] &&
                     std::all_of(items.begin(), items.end(),
                                 [&](const Value& item) { return letter_of(item) == kind; });
            }
          }
        }
        if (!fits) {
          Evaluator::fail("T0412", position,
                          "Argument " + std::to_string(next + 1) + " of " + who +
                              " must be an array of " + plural(p.subtype));
        }
        if (single != 'a') {  // a single value where an array is expected becomes one
          if (v.is_function()) {
            v = Value::sequence({std::move(v)}, true);
          } else {
            v = Value(Json::array({std::move(v.json)}));
          }
        }
      }
      out.push_back(std::move(v));
      ++next;
    }
  }
  return out;
}

}  // namespace stepd::jsonata
