#pragma once
#include <stdexcept>
#include <string>

namespace mmx::redis {

// What went wrong talking to a server (or reading its URL). Callers with an error type of
// their own (BrokerError) translate kind and message one to one.
class Error : public std::runtime_error {
 public:
  enum class Kind { unavailable, configuration, authentication, rejected };
  Error(Kind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace mmx::redis
