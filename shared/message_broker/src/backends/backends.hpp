#pragma once
// Factories for each backend; make_backend() in src/factory.cpp picks one by URL scheme.
#include <memory>
#include <string>

#include "mmx/broker/backend.hpp"

namespace mmx::broker::backends {

// sqlite:PATH[?partitions=8&retention=7d&max_bytes=1GiB]: a durable log in one SQLite file
// shared by every process on the host. Relative paths are under data_dir.
std::unique_ptr<Backend> make_sqlite_log(const std::string& url, const std::string& data_dir);
// amqp://user:password@host:port/vhost[?exchange=micromax&heartbeat=30]: RabbitMQ.
std::unique_ptr<Backend> make_amqp(const std::string& url);
// kafka://host:port[,host:port...][?partitions=...]: librdkafka.
std::unique_ptr<Backend> make_kafka(const std::string& url);
// redis://[:password@]host:port[/db]: Redis Streams.
std::unique_ptr<Backend> make_redis_streams(const std::string& url);

}  // namespace mmx::broker::backends
