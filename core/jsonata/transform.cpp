// The transform operator `| location | update [, delete] |` applied to a value: a deep copy of
// the value in which every object the location matches has the update merged in and the
// deleted keys removed (jsonata-js 2.0's evaluateTransformExpression).
//
// Values are copies, so the location cannot be evaluated as an ordinary expression: its
// results would not be parts of the copy. It is walked here over the copy instead, giving the
// places it reaches. A place is remembered as the way to it from the root (its parent place
// and its position there), not as a pointer: merging an update into an object moves that
// object's members in memory, which would leave pointers to them (or below them, for
// ordered_json keeps members in a vector) dangling. Each match is found again from the root
// just before it is changed.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/jsonata/evaluator.h"

namespace stepd::jsonata {

namespace {

constexpr size_t kNoParent = std::numeric_limits<size_t>::max();

// The i-th member of an object (ordered_map's operator[] takes a key).
Json::object_t::value_type& nth(Json::object_t& members, size_t i) {
  return *(members.begin() + static_cast<std::ptrdiff_t>(i));
}

[[noreturn]] void unsupported(const Node& n) {
  Evaluator::fail("T2014", n.position,
                  "The location of a transform must be a path of field names, *, **, $ and "
                  "predicates");
}

// A step without its predicates.
const Node& unfiltered(const Node& n) {
  const Node* s = &n;
  while (s->kind == NodeKind::Filter) s = s->children[0].get();
  return *s;
}

// Refuses, before anything is evaluated, a location the walk below cannot follow.
void check_location(const Node& n) {
  switch (n.kind) {
    case NodeKind::Name:
    case NodeKind::Wildcard:
    case NodeKind::Descendant:
      if (!n.ancestor.empty()) unsupported(n);
      return;
    case NodeKind::Variable:
      if (!n.text.empty()) unsupported(n);  // only `$`: `$$` and variables are not in the copy
      return;
    case NodeKind::Filter:
      if (n.children[0]->kind == NodeKind::Path) unsupported(*n.children[0]);
      check_location(*n.children[0]);
      return;
    case NodeKind::Path:
      if (n.tuple) unsupported(n);
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (n.children[i]->kind == NodeKind::Path) unsupported(*n.children[i]);
        check_location(*n.children[i]);
      }
      return;
    default:
      unsupported(n);
  }
}

class LocationWalk {
 public:
  LocationWalk(Evaluator& ev, Frame* env, Json& root, size_t position)
      : ev_(ev), env_(env), position_(position) {
    places_.push_back({kNoParent, 0, std::string(), &root});
  }

  // The places `location` reaches from the root, in jsonata-js's order.
  std::vector<size_t> run(const Node& location) {
    std::vector<size_t> out;
    std::vector<const Node*> steps;
    if (location.kind == NodeKind::Path) {
      for (const auto& s : location.children) steps.push_back(s.get());
    } else if (unfiltered(location).kind ==
               NodeKind::Name) {  // jsonata-js makes a name (with predicates) a path
      steps.push_back(&location);
    } else {
      step(location, 0, out);
      return out;
    }
    std::vector<size_t> input;
    Json& root = *places_[0].node;
    if (unfiltered(*steps[0]).kind != NodeKind::Variable &&
        root.is_array()) {  // a path maps over an array
      for (size_t i = 0; i < root.size(); ++i) input.push_back(add(0, i, std::string(), &root[i]));
    } else {
      input.push_back(0);
    }
    for (const Node* s : steps) {
      out.clear();
      for (size_t item : input) step(*s, item, out);
      if (out.empty()) return out;
      input.swap(out);
    }
    return input;
  }

  // The node at `place` as the copy is now, or nullptr when nothing is there any more.
  Json* resolve(size_t place, size_t position) {
    chain_.clear();
    for (size_t p = place; p != 0; p = places_[p].parent) chain_.push_back(p);
    ev_.count_steps(chain_.size(), position);
    Json* cur = places_[0].node;
    for (auto it = chain_.rbegin(); it != chain_.rend(); ++it) {
      const Place& p = places_[*it];
      if (cur->is_array()) {
        if (p.index >= cur->size()) return nullptr;
        cur = &(*cur)[p.index];
      } else if (cur->is_object()) {
        auto& members = cur->get_ref<Json::object_t&>();
        if (p.index < members.size() && nth(members, p.index).first == p.key) {
          cur = &nth(members, p.index).second;
        } else {  // an earlier deletion moved it
          auto found = cur->find(p.key);
          if (found == cur->end()) return nullptr;
          ev_.count_steps(members.size(), position);
          cur = &*found;
        }
      } else {
        return nullptr;
      }
    }
    return cur;
  }

 private:
  struct Place {
    size_t parent;
    size_t index;     // in the parent array, or of the member in the parent object
    std::string key;  // the member's name when the parent is an object
    Json* node;       // valid during the walk, which changes nothing
  };

  size_t add(size_t parent, size_t index, std::string key, Json* node) {
    ev_.count_steps(1 + key.size() / 64, position_);
    places_.push_back({parent, index, std::move(key), node});
    return places_.size() - 1;
  }

  // Adds a step's result to the step's output: arrays are flattened one level, as a path step
  // flattens what it gives.
  void emit(size_t place, std::vector<size_t>& out) {
    Json& j = *places_[place].node;
    if (!j.is_array()) {
      out.push_back(place);
      return;
    }
    for (size_t i = 0; i < j.size(); ++i) out.push_back(add(place, i, std::string(), &j[i]));
  }

  // Every non-array inside `place` (itself included), arrays flattened all the way: what `*`
  // gives for a member that is an array.
  void emit_flat(size_t place, std::vector<size_t>& out) {
    std::vector<size_t> stack{place};
    while (!stack.empty()) {
      size_t p = stack.back();
      stack.pop_back();
      Json& j = *places_[p].node;
      if (!j.is_array()) {
        out.push_back(p);
        continue;
      }
      for (size_t i = j.size(); i-- > 0;) stack.push_back(add(p, i, std::string(), &j[i]));
    }
  }

  void member_places(size_t place, std::vector<size_t>& into) {
    Json& j = *places_[place].node;
    if (j.is_array()) {
      for (size_t i = 0; i < j.size(); ++i) into.push_back(add(place, i, std::string(), &j[i]));
    } else if (j.is_object()) {
      auto& members = j.get_ref<Json::object_t&>();
      for (size_t i = 0; i < members.size(); ++i) {
        into.push_back(add(place, i, nth(members, i).first, &nth(members, i).second));
      }
    }
  }

  // A field of an object; of each item of an array (nested arrays included), as jsonata-js's
  // lookup does.
  void lookup(size_t place, const std::string& name, std::vector<size_t>& out) {
    std::vector<size_t> stack{place};
    while (!stack.empty()) {
      size_t p = stack.back();
      stack.pop_back();
      Json& j = *places_[p].node;
      if (j.is_array()) {
        for (size_t i = j.size(); i-- > 0;) stack.push_back(add(p, i, std::string(), &j[i]));
      } else if (j.is_object()) {
        auto& members = j.get_ref<Json::object_t&>();
        ev_.count_steps(members.size() / 8, position_);
        for (size_t i = 0; i < members.size(); ++i) {
          if (nth(members, i).first == name) {
            emit(add(p, i, name, &nth(members, i).second), out);
            break;
          }
        }
      }
    }
  }

  // `**`: the item and everything below it, arrays left out (their items are not), in
  // document order.
  void descendants(size_t place, std::vector<size_t>& out) {
    std::vector<size_t> stack{place};
    std::vector<size_t> children;
    while (!stack.empty()) {
      size_t p = stack.back();
      stack.pop_back();
      if (!places_[p].node->is_array()) out.push_back(p);
      children.clear();
      member_places(p, children);
      stack.insert(stack.end(), children.rbegin(), children.rend());
    }
  }

  void step(const Node& s, size_t item, std::vector<size_t>& out) {
    ev_.count_steps(1, s.position);
    switch (s.kind) {
      case NodeKind::Variable:  // `$` (check_location refused the others)
        emit(item, out);
        return;
      case NodeKind::Name:
        lookup(item, s.text, out);
        return;
      case NodeKind::Wildcard: {
        std::vector<size_t> members;
        member_places(item, members);
        for (size_t m : members) emit_flat(m, out);
        return;
      }
      case NodeKind::Descendant:
        descendants(item, out);
        return;
      case NodeKind::Filter: {
        std::vector<size_t> subject;
        step(*s.children[0], item, subject);
        filter(*s.children[1], subject, out);
        return;
      }
      default:
        unsupported(s);
    }
  }

  // A predicate over a step's results: an index, indexes, or a condition, as in a path.
  void filter(const Node& pred, const std::vector<size_t>& items, std::vector<size_t>& out) {
    const auto n = static_cast<int64_t>(items.size());
    auto index_matches = [n](double idx, int64_t i) {
      if (!std::isfinite(idx)) return false;
      double k = std::floor(idx);
      if (k < 0) k += static_cast<double>(n);
      return k == static_cast<double>(i);
    };
    for (int64_t i = 0; i < n; ++i) {
      const size_t place = items[static_cast<size_t>(i)];
      bool keep = false;
      if (pred.kind == NodeKind::Number) {
        keep = index_matches(pred.number, i);
      } else {
        Value item(*places_[place].node);
        ev_.charge(item, pred.position);
        Value r = ev_.eval(pred, item, env_);
        std::vector<Value> rs = to_items(r);
        if (r.is_number()) {
          keep = index_matches(r.json.get<double>(), i);
        } else if (r.is_array() && !rs.empty() &&
                   std::all_of(rs.begin(), rs.end(),
                               [](const Value& v) { return v.is_number(); })) {
          for (const auto& k : rs) keep = keep || index_matches(k.json.get<double>(), i);
        } else {
          keep = truthy(r);
        }
      }
      if (keep) out.push_back(place);
    }
  }

  Evaluator& ev_;
  Frame* env_;
  size_t position_;  // for errors: the location's
  std::vector<Place> places_;
  std::vector<size_t> chain_;
};

}  // namespace

Value apply_transform(Evaluator& ev, const Node& transform, Frame* env, const Value& arg,
                      size_t position) {
  if (arg.undefined()) return Value();
  if (!arg.is_array() && !(arg.is_json() && arg.json.is_object())) {
    Evaluator::fail("T0410", position, "A transform applies to an object or an array");
  }
  const Node& location = *transform.children[0];
  const Node& update = *transform.children[1];
  const Node* remove = transform.children.size() > 2 ? transform.children[2].get() : nullptr;
  check_location(location);

  ev.charge(arg, position);
  Json copy = to_json(arg);
  LocationWalk walk(ev, env, copy, location.position);
  const std::vector<size_t> matches = walk.run(location);

  for (size_t place : matches) {
    Json* match = walk.resolve(place, position);
    if (match == nullptr || !match->is_object()) continue;  // only objects are changed
    Value context(*match);
    ev.charge(context, update.position);
    Value changes = ev.eval(update, context, env);
    if (!changes.undefined()) {
      if (!changes.is_json() || !changes.json.is_object()) {
        Evaluator::fail("T2011", update.position,
                        "The insert/update clause of the transform expression must evaluate to "
                        "an object");
      }
      // ordered_json finds a member by linear search
      ev.count_steps(changes.json.size() * (1 + match->size() / 8), update.position);
      for (auto& [key, value] : changes.json.items()) (*match)[key] = std::move(value);
    }
    if (remove == nullptr) continue;
    Value after(*match);
    ev.charge(after, remove->position);
    Value keys = ev.eval(*remove, after, env);
    if (keys.undefined()) continue;
    std::vector<Value> names = to_items(keys);
    if (!std::all_of(names.begin(), names.end(), [](const Value& v) { return v.is_string(); })) {
      Evaluator::fail("T2012", remove->position,
                      "The delete clause of the transform expression must evaluate to a string "
                      "or array of strings");
    }
    ev.count_steps(names.size() * (1 + match->size() / 8), remove->position);
    for (const auto& name : names) match->erase(name.json.get_ref<const std::string&>());
  }
  return Value(std::move(copy));
}

}  // namespace stepd::jsonata
