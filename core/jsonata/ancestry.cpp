// The parent operator `%`: which step of a path each `%` refers to, worked out after parsing
// the way jsonata-js's parser does it (its "ancestry" post-processing), on our tree.
//
// Each `%` gets a slot: a label and a level, how many steps up it still has to look (1 for a
// `%`; a `%` walked over on the way, as in `%.%`, adds one). Working outwards, an expression
// passes the slots it still seeks to the expression containing it. A path resolves the slots
// of each step against the steps before it: every Name or Wildcard step walked over lowers the
// level, and the one where it reaches 0 records the slot's label as its `ancestor` (when the
// path runs, that step binds its input, the parent, under the label; `%` looks the label up). A
// block or path walked into is searched from its last step and marked `tuple`, so that it
// hands its bindings to the path around it. A step of any other kind has no parent to offer
// (S0217). A predicate resolves a slot of level 1 against the step it filters. What is left
// when the whole expression has been walked is S0217 too.
//
// Our tree differs from jsonata-js's: predicates, `@` and `#` are nodes wrapping their step
// (jsonata-js keeps them as attributes of the step) and a bare name is not a one-step path.
// `step_of` and `path_like` translate; where jsonata-js drops a slot (a step other than the last
// or first of a path, a group-by, a lambda body, a function's callee), so do we.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/jsonata/ast.h"
#include "core/jsonata/jsonata.h"

namespace stepd::jsonata {
namespace {

using Slots = std::vector<size_t>;

// Walking back through steps costs (number of `%`) × (steps walked); a long path full of `%`
// would make that quadratic in the length of the expression, so the walk is bounded.
constexpr uint64_t kMaxWalk = 10'000'000;

void append(Slots& to, const Slots& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Whether jsonata-js sees a path here (a name becomes a one-step path; `#` makes one).
bool path_like(const Node& n) {
  switch (n.kind) {
    case NodeKind::Name:
    case NodeKind::Path:
    case NodeKind::Index:
      return true;
    case NodeKind::Focus:
    case NodeKind::Filter:
      return path_like(*n.children[0]);
    default:
      return false;
  }
}

// The node a predicate, `@` or `#` written after `n` belongs to: the last step of a path.
Node& step_of(Node& n) {
  switch (n.kind) {
    case NodeKind::Path:
      return step_of(*n.children.back());
    case NodeKind::Filter:
    case NodeKind::Focus:
    case NodeKind::Index:
      return step_of(*n.children[0]);
    default:
      return n;
  }
}

bool has_focus(const Node& n) {
  if (n.kind == NodeKind::Focus) return true;
  if (n.kind == NodeKind::Filter || n.kind == NodeKind::Index) return has_focus(*n.children[0]);
  return false;
}

class Resolver {
 public:
  void run(Node& root) {
    Slots open = process(root);
    if (parent_node(root) != nullptr || !open.empty()) unresolvable(root);
    for (const auto& [node, slot] : parents_) node->text = slots_[slot].label;
  }

 private:
  struct Slot {
    std::string label;
    int level = 1;
  };

  void walk(const Node& at) {
    if (++walked_ > kMaxWalk) {
      throw Error("U1001", at.position,
                  "Expression too complex: too many parent operators to resolve");
    }
  }

  [[noreturn]] static void unresolvable(const Node& n) {
    throw Error("S0217", n.position,
                "The object representing the 'parent' cannot be derived from this expression");
  }

  // The `%` that `n` is for jsonata-js (a `%` with predicates is still one), or nullptr.
  static Node* parent_node(Node& n) {
    if (n.kind == NodeKind::Parent) return &n;
    if (n.kind == NodeKind::Filter && !path_like(*n.children[0])) {
      return parent_node(*n.children[0]);
    }
    return nullptr;
  }

  // What an expression containing `n` inherits from it: the slots `n` seeks, and `n`'s own if
  // it is a `%`.
  Slots pushed(Node& n) {
    Slots s = process(n);
    if (Node* p = parent_node(n)) s.push_back(slot_of_.at(p));
    return s;
  }

  // The slots `n` still seeks; also kept in seeking_ for when `n` turns out to be a step.
  Slots process(Node& n) {
    Slots out;
    switch (n.kind) {
      case NodeKind::Parent:
        slot_of_[&n] = slots_.size();
        parents_.emplace_back(&n, slots_.size());
        slots_.push_back({"%" + std::to_string(slots_.size()), 1});
        break;
      case NodeKind::Path:
        out = process_path(n);
        break;
      case NodeKind::Filter:
        out = process_filter(n);
        break;
      case NodeKind::Binary:
      case NodeKind::Range:
      case NodeKind::Negate:
      case NodeKind::Array:
      case NodeKind::Block:
      case NodeKind::Condition:
      case NodeKind::Assign:
      case NodeKind::Sort:
        for (auto& c : n.children) append(out, pushed(*c));
        break;
      case NodeKind::Object:
        for (auto& [key, value] : n.pairs) {
          append(out, pushed(*key));
          append(out, pushed(*value));
        }
        break;
      case NodeKind::Call:
        process(*n.children[0]);  // the callee's slots are dropped
        for (size_t i = 1; i < n.children.size(); ++i) append(out, pushed(*n.children[i]));
        break;
      case NodeKind::GroupBy:
        out = process(*n.children[0]);
        for (auto& [key, value] : n.pairs) {  // not resolved, as in jsonata-js
          process(*key);
          process(*value);
        }
        break;
      case NodeKind::Focus:
        out = process(*n.children[0]);
        break;
      case NodeKind::Index:
        out = process(*n.children[0]);
        if (!path_like(*n.children[0])) out.clear();  // wrapped in a new path
        break;
      case NodeKind::Lambda:
      case NodeKind::Apply:
      case NodeKind::Transform:
        for (auto& c : n.children) process(*c);
        break;
      default:  // literals, names, variables, wildcards
        break;
    }
    seeking_[&n] = out;
    return out;
  }

  Slots process_filter(Node& n) {
    Node& subject = *n.children[0];
    Slots subject_slots = process(subject);
    Node& step = step_of(subject);
    Slots predicate = process(*n.children[1]);
    if (!predicate.empty()) {
      for (size_t s : predicate) {
        if (slots_[s].level == 1) {
          seek_parent(step, s);
        } else {
          --slots_[s].level;  // the filtered step itself is the first level
        }
      }
      append(seeking_[&step], predicate);
    }
    // jsonata-js returns the path (whose slots do not include the predicate's) or the step
    return path_like(subject) ? subject_slots : seeking_[&step];
  }

  // jsonata-js builds a path one `.` at a time and resolves the slots of each new last step
  // against the steps before it.
  Slots process_path(Node& n) {
    auto& steps = n.children;
    Slots open;
    Slots first = process(*steps[0]);
    if (path_like(*steps[0])) {
      open = first;
    } else if (Node* p = parent_node(*steps[0])) {
      open.push_back(slot_of_.at(p));
    }
    for (size_t i = 1; i < steps.size(); ++i) {
      process(*steps[i]);
      Node& step = step_of(*steps[i]);
      Slots last = seeking_[&step];
      if (step.kind == NodeKind::Parent) last.push_back(slot_of_.at(&step));
      for (size_t s : last) {
        size_t k = i;  // steps[k - 1] is the next one to look at
        while (slots_[s].level > 0) {
          if (k == 0) {
            open.push_back(s);  // it looks above the path
            break;
          }
          Node* candidate = steps[--k].get();
          // a run of steps that bind the context with `@` counts as one step
          while (k > 0 && has_focus(*candidate) && has_focus(*steps[k - 1])) {
            walk(*candidate);
            candidate = steps[--k].get();
          }
          seek_parent(*candidate, s);
        }
      }
    }
    return open;
  }

  void seek_parent(Node& n, size_t s) {
    walk(n);
    Slot& slot = slots_[s];
    switch (n.kind) {
      case NodeKind::Filter:
      case NodeKind::Focus:
      case NodeKind::Index:
        seek_parent(*n.children[0], s);
        return;
      case NodeKind::Name:
      case NodeKind::Wildcard:
        if (--slot.level == 0) {
          if (n.ancestor.empty()) {
            n.ancestor = slot.label;
          } else {
            slot.label = n.ancestor;  // two `%` for the same step share its binding
          }
        }
        return;
      case NodeKind::Parent:
        ++slot.level;
        return;
      case NodeKind::Block:
        if (!n.children.empty()) {
          n.tuple = true;
          seek_parent(*n.children.back(), s);
        }
        return;
      case NodeKind::Path: {
        n.tuple = true;
        size_t k = n.children.size();
        seek_parent(*n.children[--k], s);
        while (slots_[s].level > 0 && k > 0) seek_parent(*n.children[--k], s);
        return;
      }
      default:
        unresolvable(n);
    }
  }

  std::vector<Slot> slots_;
  uint64_t walked_ = 0;
  std::vector<std::pair<Node*, size_t>> parents_;
  std::unordered_map<const Node*, size_t> slot_of_;
  std::unordered_map<const Node*, Slots> seeking_;
};

}  // namespace

void resolve_parents(Node& root) {
  Resolver().run(root);
}

}  // namespace stepd::jsonata
