#include <string_view>

#include "backends/backends.hpp"
#include "mmx/broker/backend.hpp"

namespace mmx::broker {

std::string redact_broker_url(const std::string& url) {
  // scheme://user:password@host -> scheme://user:***@host
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  auto authority = scheme_end + 3;
  auto at = url.find('@', authority);
  auto slash = url.find('/', authority);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  auto colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

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
