#pragma once
// Database errors by what a caller can do about them: retry (serialization failure,
// deadlock), answer 409 (unique or foreign-key violation), answer 503 (unavailable,
// timeout), or treat as a bug (syntax, type mismatch).
#include <stdexcept>
#include <string>

namespace mmx::db {

enum class ErrorKind {
  unavailable,        // cannot connect, connection lost, server shutting down
  timeout,            // statement timeout, busy timeout, pool wait timeout
  serialization,      // serialization failure or deadlock: the transaction may be retried
  unique_violation,   // a UNIQUE or PRIMARY KEY constraint
  constraint,         // any other constraint (foreign key, check, not null)
  authentication,     // wrong password / role: a configuration problem
  configuration,      // a bad URL or option
  mapping,            // a row does not fit the requested type
  query,              // everything else the server rejected (syntax, types)
};

const char* to_string(ErrorKind kind);

class DbError : public std::runtime_error {
 public:
  DbError(ErrorKind kind, std::string message, std::string sqlstate = {})
      : std::runtime_error(std::move(message)), kind_(kind), sqlstate_(std::move(sqlstate)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& sqlstate() const { return sqlstate_; }  // PostgreSQL only
  bool retryable() const { return kind_ == ErrorKind::serialization; }

 private:
  ErrorKind kind_;
  std::string sqlstate_;
};

}  // namespace mmx::db
