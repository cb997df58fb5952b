#pragma once
// What the JSONata unit tests share: evaluating an expression to its JSON result or to the
// error it raises, and the documentation's "Account" sample document.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/jsonata/jsonata.h"

namespace stepd::jsonata::testing {

// The result, or the string "<undefined>" when there is none.
inline Json eval(std::string_view expr, const Json& input = nullptr, const Options& options = {}) {
  auto r = evaluate(expr, input, options);
  return r ? *r : Json("<undefined>");
}

// The error raised; a test failure when there is none.
inline Error eval_error(std::string_view expr, const Json& input = nullptr,
                        const Options& options = {}) {
  try {
    evaluate(expr, input, options);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error: " << expr;
  return Error("", 0, "");
}

// The code of the error raised, or "<no error>".
inline std::string error_code(std::string_view expr, const Json& input = nullptr,
                              const Options& options = {}) {
  try {
    evaluate(expr, input, options);
  } catch (const Error& e) {
    return e.code;
  }
  return "<no error>";
}

// The sample document of the JSONata documentation ("Account" with orders and products).
inline const Json& account() {
  static const Json doc = Json::parse(R"js({
    "Account": {
      "Account Name": "Firefly",
      "Order": [
        {"OrderID": "order103", "Product": [
          {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "0406654608",
           "Description": {"Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75},
           "Price": 34.45, "Quantity": 2},
          {"Product Name": "Trilby hat", "ProductID": 858236, "SKU": "0406634348",
           "Description": {"Colour": "Orange", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.6},
           "Price": 21.67, "Quantity": 1}]},
        {"OrderID": "order104", "Product": [
          {"Product Name": "Bowler Hat", "ProductID": 858383, "SKU": "040657863",
           "Description": {"Colour": "Purple", "Width": 300, "Height": 200, "Depth": 210, "Weight": 0.75},
           "Price": 34.45, "Quantity": 4},
          {"ProductID": 345664, "SKU": "0406654603", "Product Name": "Cloak",
           "Description": {"Colour": "Black", "Width": 30, "Height": 20, "Depth": 210, "Weight": 2},
           "Price": 107.99, "Quantity": 1}]}]
    }
  })js");
  return doc;
}

}  // namespace stepd::jsonata::testing
