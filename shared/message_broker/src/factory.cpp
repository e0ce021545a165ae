#include <string_view>

#include "backends/backends.hpp"
#include "mmx/broker/backend.hpp"
#include "mmx/db/url.hpp"

namespace mmx::broker {

// Same rule as database URLs: scheme://user:password@host -> scheme://user:***@host.
std::string redact_broker_url(const std::string& url) { return db::redact_url(url); }

std::unique_ptr<Backend> make_backend(const std::string& url, const std::string& data_dir) {
  auto starts = [&](std::string_view p) { return std::string_view(url).starts_with(p); };
  if (starts("sqlite:")) return backends::make_sqlite_log(url, data_dir);
  if (starts("amqp://") || starts("amqps://")) return backends::make_amqp(url);
  if (starts("kafka://") || starts("kafka+ssl://")) return backends::make_kafka(url);
  if (starts("redis://") || starts("rediss://")) return backends::make_redis_streams(url);
  throw BrokerError(BrokerError::Kind::configuration,
                    "unsupported broker URL '" + redact_broker_url(url) +
                        "': expected sqlite:PATH, amqp://, kafka:// or redis://");
}

}  // namespace mmx::broker
