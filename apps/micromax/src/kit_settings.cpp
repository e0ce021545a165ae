#include "kit_settings.hpp"

#include "mmx/config/parse.hpp"
#include "mmx/broker/service_broker.hpp"
#include "mmx/db/service_database.hpp"

namespace mmx::app {

void declare_kit_settings(config::SettingRegistry& r) {
  using config::Kind;
  auto add = [&](std::string name, Kind kind, std::string def, std::string help,
                 std::string group, std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX,
                 std::vector<std::string> choices = {}) {
    config::Setting s = config::make_setting(std::move(name), kind, std::move(def), std::move(help),
                                             std::move(group), min, max);
    s.choices = std::move(choices);
    r.add(std::move(s));
  };
  add("MMX_ENV", Kind::choice, "production",
      "Deployment environment. Development-only defaults (demo secrets) are accepted only "
      "with local.",
      "general", INT64_MIN, INT64_MAX, {"local", "development", "staging", "production"});
  add("MMX_TARGET", Kind::string, "all", "Modules to run: all, or a comma list (micromax targets).",
      "general");
  add("MMX_DATA_DIR", Kind::path, ".mmx-data",
      "Directory for embedded databases and the embedded broker log.", "general");

  add("MMX_LISTEN", Kind::host_port, "127.0.0.1:8000", "Address the HTTP server listens on.",
      "server");
  add("MMX_THREADS", Kind::integer, "0", "IO threads (each with its own listener); 0 = one per core.",
      "server", 0, 256);
  add("MMX_WORKER_THREADS", Kind::integer, "0",
      "Threads for blocking work (databases, password hashing); 0 = one per core, at least 2.",
      "server", 0, 256);
  add("MMX_WORKER_QUEUE", Kind::integer, "1024",
      "Blocking tasks that may wait for a worker; beyond it requests get 503.", "server", 1,
      1'000'000);
  add("MMX_MAX_CONNECTIONS", Kind::integer, "10000",
      "Open connections across all threads; beyond it new ones get 503 and are closed.",
      "server", 1, 10'000'000);
  add("MMX_MAX_REQUESTS_PER_CONNECTION", Kind::integer, "0",
      "Requests served on one keep-alive connection before it is closed; 0 = unlimited.",
      "server", 0, INT64_MAX);
  add("MMX_PIPELINE_DEPTH", Kind::integer, "16",
      "Pipelined responses queued on a connection before they are flushed.", "server", 1, 1024);
  add("MMX_HEADER_LIMIT", Kind::size, "16KiB", "Largest request head; beyond it 431.", "server",
      1024, 1024 * 1024);
  add("MMX_BODY_LIMIT", Kind::size, "1MiB", "Largest request body; beyond it 413.", "server", 0,
      INT64_MAX);
  add("MMX_HEADER_TIMEOUT", Kind::duration, "10s",
      "Time a client has to send a request's headers; then 408 and close.", "server", 1);
  add("MMX_BODY_TIMEOUT", Kind::duration, "30s",
      "Time a client has to send a request's body; then 408 and close.", "server", 1);
  add("MMX_IDLE_TIMEOUT", Kind::duration, "60s",
      "How long an idle keep-alive connection stays open.", "server", 1);
  add("MMX_WRITE_TIMEOUT", Kind::duration, "30s",
      "Time a client has to read a response before the connection is closed.", "server", 1);
  add("MMX_DRAIN_DELAY", Kind::duration, "0s",
      "On SIGTERM, keep accepting this long while /readyz says 503 (lets a load balancer "
      "notice), then stop accepting.",
      "server", 0);
  add("MMX_DRAIN_TIMEOUT", Kind::duration, "25s",
      "On SIGTERM, how long requests in flight may take to finish before the process exits.",
      "server", 0);
  add("MMX_READINESS_TIMEOUT", Kind::duration, "2s", "Time limit of each readiness check.",
      "server", 1);
  add("MMX_CORS_ORIGINS", Kind::string, "",
      "Origins allowed to call the API from a browser (comma list, or *); empty = same origin "
      "only.",
      "server");

  add("MMX_LOG_LEVEL", Kind::choice, "info", "Least severe level logged.", "log", INT64_MIN,
      INT64_MAX, {"trace", "debug", "info", "warn", "error", "off"});
  add("MMX_LOG_FORMAT", Kind::choice, "json",
      "json: one JSON object per line; text: readable lines for a terminal.", "log", INT64_MIN,
      INT64_MAX, {"json", "text"});
  add("MMX_ACCESS_LOG", Kind::boolean, "true", "Log one line per HTTP request.", "log");

  add("MMX_OTLP_ENDPOINT", Kind::url, "",
      "OTLP/HTTP collector base URL (spans go to ENDPOINT/v1/traces); empty = no export.",
      "tracing");
  add("MMX_SERVICE_NAME", Kind::string, "micromax",
      "service.name reported with spans (defaults to micromax; per-target deployments set "
      "their own).",
      "tracing");
  db::declare_database_settings(r);
  broker::declare_broker_settings(r);
}

http::ServerOptions server_options(const config::Config& cfg) {
  http::ServerOptions o;
  auto hp = cfg.host_port("MMX_LISTEN");
  o.host = hp.host;
  o.port = hp.port;
  o.threads = static_cast<std::size_t>(cfg.integer("MMX_THREADS"));
  o.max_connections = static_cast<std::size_t>(cfg.integer("MMX_MAX_CONNECTIONS"));
  o.max_requests_per_connection =
      static_cast<std::size_t>(cfg.integer("MMX_MAX_REQUESTS_PER_CONNECTION"));
  o.pipeline_depth = static_cast<std::size_t>(cfg.integer("MMX_PIPELINE_DEPTH"));
  o.header_limit = cfg.size("MMX_HEADER_LIMIT");
  o.body_limit = cfg.size("MMX_BODY_LIMIT");
  o.header_timeout = cfg.duration("MMX_HEADER_TIMEOUT");
  o.body_timeout = cfg.duration("MMX_BODY_TIMEOUT");
  o.idle_timeout = cfg.duration("MMX_IDLE_TIMEOUT");
  o.write_timeout = cfg.duration("MMX_WRITE_TIMEOUT");
  return o;
}

http::CorsOptions cors_options(const config::Config& cfg) {
  http::CorsOptions o;
  o.allowed_origins = config::split_list(cfg.string("MMX_CORS_ORIGINS"));
  return o;
}

}  // namespace mmx::app
