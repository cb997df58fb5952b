#include "core/asl/payload_template.h"

#include <stdexcept>
#include <string>

#include "core/asl/intrinsics.h"
#include "core/asl/json_path.h"
#include "core/common/states_error.h"

namespace stepd::asl {

namespace {

constexpr std::string_view kDynamicSuffix = ".$";

bool is_dynamic_key(std::string_view key) {
  return key.size() > kDynamicSuffix.size() &&
         key.substr(key.size() - kDynamicSuffix.size()) == kDynamicSuffix;
}

}  // namespace

std::optional<Json> evaluate_expression(std::string_view expr, const EvalScope& scope,
                                        std::string_view field) {
  if (looks_like_intrinsic(expr)) return evaluate_intrinsic(expr, scope, field);
  return resolve_path(expr, scope);
}

Json apply_template(const Json& tmpl, const EvalScope& scope) {
  if (tmpl.is_array()) {
    Json out = Json::array();
    for (const Json& e : tmpl) out.push_back(apply_template(e, scope));
    return out;
  }
  if (!tmpl.is_object()) return tmpl;
  Json out = Json::object();
  for (auto it = tmpl.begin(); it != tmpl.end(); ++it) {
    const std::string& key = it.key();
    if (!is_dynamic_key(key) || !it.value().is_string()) {
      out[key] = apply_template(it.value(), scope);
      continue;
    }
    const std::string& expr = it.value().get_ref<const std::string&>();
    std::optional<Json> value = evaluate_expression(expr, scope, key);
    if (!value) {
      throw StatesException(errors::kRuntime, "The JSONPath '" + expr +
                                                  "' specified for the field '" + key +
                                                  "' could not be found in the input '" +
                                                  to_compact_json(scope.input) + "'");
    }
    out[key.substr(0, key.size() - kDynamicSuffix.size())] = std::move(*value);
  }
  return out;
}

namespace {

// A template part without ".$" keys anywhere is a literal.
bool is_static(const Json& tmpl) {
  if (tmpl.is_array()) {
    for (const Json& e : tmpl) {
      if (!is_static(e)) return false;
    }
    return true;
  }
  if (!tmpl.is_object()) return true;
  for (auto it = tmpl.begin(); it != tmpl.end(); ++it) {
    if (is_dynamic_key(it.key()) && it.value().is_string()) return false;
    if (!is_static(it.value())) return false;
  }
  return true;
}

CompiledTemplate::Node compile_node(const Json& tmpl) {
  using Node = CompiledTemplate::Node;
  Node node;
  if (is_static(tmpl)) {
    node.literal = tmpl;
    return node;
  }
  if (tmpl.is_array()) {
    node.kind = Node::Kind::kArray;
    for (const Json& e : tmpl) node.elements.push_back(compile_node(e));
    return node;
  }
  node.kind = Node::Kind::kObject;
  for (auto it = tmpl.begin(); it != tmpl.end(); ++it) {
    const std::string& key = it.key();
    if (!is_dynamic_key(key) || !it.value().is_string()) {
      node.members.push_back({key, compile_node(it.value())});
      continue;
    }
    Node expr;
    expr.kind = Node::Kind::kExpression;
    expr.expression = it.value().get_ref<const std::string&>();
    expr.field = key;
    validate_expression(expr.expression, key);
    if (!looks_like_intrinsic(expr.expression)) expr.path = CompiledPath::compile(expr.expression);
    node.members.push_back({key.substr(0, key.size() - kDynamicSuffix.size()), std::move(expr)});
  }
  return node;
}

Json apply_node(const CompiledTemplate::Node& node, const EvalScope& scope) {
  using Kind = CompiledTemplate::Node::Kind;
  switch (node.kind) {
    case Kind::kLiteral:
      return node.literal;
    case Kind::kArray: {
      Json out = Json::array();
      for (const auto& e : node.elements) out.push_back(apply_node(e, scope));
      return out;
    }
    case Kind::kExpression: {
      std::optional<Json> value = node.path
                                      ? node.path->resolve(scope)
                                      : evaluate_intrinsic(node.expression, scope, node.field);
      if (!value) {
        throw StatesException(errors::kRuntime, "The JSONPath '" + node.expression +
                                                    "' specified for the field '" + node.field +
                                                    "' could not be found in the input '" +
                                                    to_compact_json(scope.input) + "'");
      }
      return std::move(*value);
    }
    case Kind::kObject:
      break;
  }
  Json out = Json::object();
  for (const auto& member : node.members) out[member.key] = apply_node(member.value, scope);
  return out;
}

}  // namespace

std::shared_ptr<const CompiledTemplate> CompiledTemplate::compile(const Json& tmpl) {
  return std::shared_ptr<const CompiledTemplate>(new CompiledTemplate(compile_node(tmpl)));
}

Json CompiledTemplate::apply(const EvalScope& scope) const {
  return apply_node(root_, scope);
}

void validate_expression(std::string_view expr, std::string_view field) {
  try {
    if (looks_like_intrinsic(expr)) {
      validate_intrinsic(expr);
    } else {
      validate_path(expr);
    }
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("The value for the field '" + std::string(field) +
                                "' must be a valid JSONPath or a valid intrinsic function call");
  }
}

void validate_template(const Json& tmpl) {
  if (tmpl.is_array()) {
    for (const Json& e : tmpl) validate_template(e);
    return;
  }
  if (!tmpl.is_object()) return;
  for (auto it = tmpl.begin(); it != tmpl.end(); ++it) {
    if (!is_dynamic_key(it.key())) {
      validate_template(it.value());
      continue;
    }
    if (!it.value().is_string()) {
      throw std::invalid_argument("The value for the field '" + it.key() +
                                  "' must be a STRING that contains a JSONPath or an intrinsic "
                                  "function call");
    }
    validate_expression(it.value().get_ref<const std::string&>(), it.key());
  }
}

}  // namespace stepd::asl
