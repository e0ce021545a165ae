#pragma once
// Block-style YAML for a JSON value, so committed contracts read well in review. Any YAML 1.2
// parser gives the same JSON back: a string is written plain only when it cannot be read as
// anything else (number, bool, null, comment, indicator); otherwise it is double-quoted with
// JSON escapes, which YAML's double-quoted style accepts unchanged.
#include <string>

#include <boost/json/value.hpp>

namespace mmx::contracts {

std::string to_yaml(const boost::json::value& value);

}  // namespace mmx::contracts
