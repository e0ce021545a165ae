#pragma once
// Failed sign-ins per account and the lockout they cause (policy in lockout.hpp).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "lockout.hpp"
#include "mmx/db/database.hpp"

namespace mmx::auth_service {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct LoginState {
  std::int64_t locked_for = 0;  // seconds the account stays locked (0: not locked)
  bool failures = false;        // failures are on record (a success clears them)
};
// Times are Unix milliseconds (unix_now_ms()); lockouts are reported in whole seconds.
awaitable<LoginState> login_state(db::Session& db, std::string email_key, std::int64_t now_ms);
// Counts a failure; returns the lockout it starts, in seconds (0: none yet). Pass the time of
// the failure, not of the request: the password check before it may take a while, and the
// lock must last its full length from the moment it is known.
awaitable<std::int64_t> record_failure(db::Session& db, std::string email_key, LockoutPolicy policy,
                                       std::int64_t now_ms);
awaitable<void> clear_failures(db::Session& db, std::string email_key);

}  // namespace mmx::auth_service
