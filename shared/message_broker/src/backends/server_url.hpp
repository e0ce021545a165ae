#pragma once
// The network backends' URL parsing is the shared server-URL parser of mmx_redis
// (mmx/redis/server_url.hpp); this adapts it to the broker: messages say "broker URL", and
// its redis::Errors become BrokerErrors of the same kind (parse_*_url functions are
// function-try-blocks catching redis::Error).
#include <string>

#include "mmx/broker/backend.hpp"
#include "mmx/redis/server_url.hpp"

namespace mmx::broker::backends {

using redis::ServerUrl;
using redis::parse_count;
using redis::parse_duration;

inline BrokerError to_broker_error(const redis::Error& e) {
  static_assert(static_cast<int>(redis::Error::Kind::rejected) == static_cast<int>(BrokerError::Kind::rejected));
  return BrokerError(static_cast<BrokerError::Kind>(e.kind()), e.what());
}

inline ServerUrl parse_server_url(const std::string& url, int default_port) {
  return redis::parse_server_url(url, default_port, "broker URL");
}

inline BrokerError configuration_error(const std::string& redacted_url, const std::string& what) {
  return BrokerError(BrokerError::Kind::configuration,
                     "invalid broker URL '" + redacted_url + "': " + what);
}

}  // namespace mmx::broker::backends
