#include "mmx/app/app.hpp"

#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli.hpp"
#include "kit_module.hpp"
#include "kit_settings.hpp"
#include "mmx/app/build_info.hpp"
#include "mmx/http/observe.hpp"
#include "mmx/http/openapi.hpp"
#include "mmx/http/otlp_exporter.hpp"
#include "mmx/log/log.hpp"

namespace mmx::app {
namespace {

namespace asio = boost::asio;

// Logs go to stdout (12-factor), except for `openapi`, whose stdout is the document a user
// (or CI) pipes into a file: module start-up lines interleaved with it would corrupt it.
void configure_logging(const config::Config& cfg, const std::string& command) {
  log::Options o;
  log::parse_level(cfg.string("MMX_LOG_LEVEL"), o.level);
  o.format = cfg.string("MMX_LOG_FORMAT") == "text" ? log::Format::text : log::Format::json;
  o.fd = command == "openapi" ? 2 : 1;
  o.color = o.format == log::Format::text && isatty(o.fd);
  log::configure(o);
}

void register_pool_metrics(metrics::Registry& reg, const exec::WorkerPool& pool) {
  reg.add_collector([&pool](std::string& out) {
    using metrics::Type;
    metrics::append_header(out, "worker_pool_queue_depth",
                           "Blocking tasks waiting for a worker thread.", Type::gauge);
    metrics::append_sample(out, "worker_pool_queue_depth", "",
                           static_cast<double>(pool.queue_depth()));
    metrics::append_header(out, "worker_pool_busy", "Worker threads running a task.",
                           Type::gauge);
    metrics::append_sample(out, "worker_pool_busy", "", static_cast<double>(pool.busy()));
    metrics::append_header(out, "worker_pool_threads", "Worker threads.", Type::gauge);
    metrics::append_sample(out, "worker_pool_threads", "", static_cast<double>(pool.threads()));
    metrics::append_header(out, "worker_pool_queue_capacity", "Bound of the worker queue.",
                           Type::gauge);
    metrics::append_sample(out, "worker_pool_queue_capacity", "",
                           static_cast<double>(pool.capacity()));
    metrics::append_header(out, "worker_pool_rejected_total",
                           "Tasks refused because the queue was full (answered 503).",
                           Type::counter);
    metrics::append_sample(out, "worker_pool_rejected_total", "",
                           static_cast<double>(pool.rejected()));
  });
}

void register_build_info(metrics::Registry& reg) {
  const auto& b = build_info();
  std::string labels = "version=\"" + metrics::escape_label(b.version) + "\",commit=\"" +
                       metrics::escape_label(b.commit) + "\",compiler=\"" +
                       metrics::escape_label(b.compiler) + "\"";
  reg.add_collector([labels](std::string& out) {
    metrics::append_header(out, "micromax_build_info", "Build information; always 1.",
                           metrics::Type::gauge);
    metrics::append_sample(out, "micromax_build_info", labels, 1);
  });
}

int print_targets(const module::ModuleSet& modules) {
  std::cout << "Targets (micromax --target=all|LIST):\n";
  for (const auto& m : modules.all()) {
    std::cout << "  " << m.name << (m.is_target ? "" : " (internal)") << "\n      "
              << m.description << "\n      depends on: ";
    if (m.dependencies.empty()) std::cout << "-";
    for (std::size_t i = 0; i < m.dependencies.size(); ++i) {
      std::cout << (i ? ", " : "") << m.dependencies[i];
    }
    std::cout << "\n";
  }
  std::cout << "  all\n      every module above, in one process on one listener\n";
  return 0;
}

int print_version() {
  const auto& b = build_info();
  std::cout << "micromax " << b.version << " (commit " << b.commit << ", " << b.compiler << ", "
            << b.build_type << ")\n";
  return 0;
}

// Background tasks run on io context 0, each with its own cancellation signal so shutdown
// can stop it wherever it is waiting.
class Tasks {
 public:
  explicit Tasks(asio::io_context& ioc) : ioc_(ioc) {}

  void start(const std::string& name, const module::BackgroundTask& task) {
    auto entry = std::make_shared<Entry>();
    entry->name = name;
    entries_.push_back(entry);
    asio::co_spawn(ioc_, task(),
                   asio::bind_cancellation_slot(entry->signal.slot(), [entry](std::exception_ptr ep) {
                     if (ep) {
                       try {
                         std::rethrow_exception(ep);
                       } catch (const boost::system::system_error& e) {
                         if (e.code() != asio::error::operation_aborted) {
                           log::error("app", "background task failed",
                                      {{"task", entry->name}, {"error", e.what()}});
                         }
                       } catch (const std::exception& e) {
                         log::error("app", "background task failed",
                                    {{"task", entry->name}, {"error", e.what()}});
                       }
                     }
                     entry->done = true;
                   }));
  }

  // Cancels every task and waits (bounded) for them to end.
  void stop(std::chrono::milliseconds limit) {
    for (auto& e : entries_) {
      asio::post(ioc_, [e] { e->signal.emit(asio::cancellation_type::terminal); });
    }
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (auto& e : entries_) {
      while (!e->done && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      if (!e->done) log::warn("app", "background task did not stop in time", {{"task", e->name}});
    }
  }

 private:
  struct Entry {
    std::string name;
    asio::cancellation_signal signal;
    std::atomic<bool> done{false};
  };
  asio::io_context& ioc_;
  std::vector<std::shared_ptr<Entry>> entries_;
};

// The module commands, for `micromax --help`.
std::string commands_help(const module::ModuleSet& modules) {
  std::string out;
  for (const auto& m : modules.all()) {
    for (const auto& c : m.commands) {
      std::string line = "  micromax " + c.name;
      line.resize(std::max<std::size_t>(line.size() + 2, 32), ' ');
      out += line + c.help + "\n";
    }
  }
  return out.empty() ? out : "\nModule commands:\n" + out;
}

// Runs a module's command to completion on an io_context of its own.
int run_command(const module::CommandMatch& match, module::Context& ctx) {
  asio::io_context ioc;
  int code = 1;
  const std::string& name = match.command->name;
  asio::co_spawn(ioc, match.command->run(ctx, match.args), [&](std::exception_ptr ep, int rc) {
    code = rc;
    if (!ep) return;
    code = 1;
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      log::error("app", "command failed", {{"command", name}, {"error", e.what()}});
      log::flush();
      std::cerr << "micromax " << name << ": " << e.what() << "\n";
    }
  });
  ioc.run();
  log::flush();
  return code;
}

std::string display_host(const std::string& host) {
  if (host == "0.0.0.0" || host == "::") return "127.0.0.1";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int run_main(int argc, char** argv, module::ModuleSet services) {
  const auto t0 = std::chrono::steady_clock::now();
  CommandLine cl;
  try {
    cl = parse_command_line(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "micromax: " << e.what() << "\n";
    return 2;
  }

  auto state = std::make_shared<KitState>();
  module::ModuleSet modules;
  modules.add(make_kit_module(state));
  for (const auto& m : services.all()) {
    module::Module copy = m;
    if (std::find(copy.dependencies.begin(), copy.dependencies.end(), "server") ==
        copy.dependencies.end()) {
      copy.dependencies.insert(copy.dependencies.begin(), "server");
    }
    modules.add(std::move(copy));
  }

  config::SettingRegistry settings;
  declare_kit_settings(settings);
  for (const auto& m : modules.all()) {
    if (m.declare_settings) m.declare_settings(settings);
  }

  if (cl.command == "help") {
    std::cout << usage() << commands_help(modules) << "\nSettings:"
              << config::render_help(settings);
    return 0;
  }
  if (cl.command == "version") return print_version();
  if (cl.command == "targets") return print_targets(modules);
  std::optional<module::CommandMatch> command;
  if (cl.command == "module") {
    command = modules.find_command(cl.words);
    if (!command) {
      std::string words;
      for (const auto& w : cl.words) words += (words.empty() ? "" : " ") + w;
      std::cerr << "micromax: unknown command '" << words << "' (try micromax --help)\n";
      return 2;
    }
  }

  std::optional<config::Config> cfg;
  std::vector<const module::Module*> selected;
  try {
    cfg = config::Config::load(settings, {cl.settings, nullptr, cl.config_file});
    selected = modules.resolve(cfg->string("MMX_TARGET"));
  } catch (const std::exception& e) {
    std::cerr << "micromax: " << e.what() << "\n";
    return 2;
  }
  configure_logging(*cfg, cl.command);

  // `openapi` only mounts routes: it must run anywhere (CI, a read-only checkout, without the
  // production secrets), so it opens nothing and creates no file, not even the data dir.
  const bool docs_only = cl.command == "openapi";
  const std::string data_dir = cfg->string("MMX_DATA_DIR");
  std::error_code fs_ec;
  if (!docs_only) std::filesystem::create_directories(data_dir, fs_ec);
  if (fs_ec) {
    std::cerr << "micromax: MMX_DATA_DIR: cannot create " << data_dir << ": "
              << fs_ec.message() << "\n";
    return 2;
  }

  const auto cores = std::max(2u, std::thread::hardware_concurrency());
  std::size_t worker_threads = static_cast<std::size_t>(cfg->integer("MMX_WORKER_THREADS"));
  exec::WorkerPool pool(worker_threads ? worker_threads : cores,
                        static_cast<std::size_t>(cfg->integer("MMX_WORKER_QUEUE")));
  auto& registry = metrics::default_registry();
  metrics::register_process_metrics(registry);
  register_pool_metrics(registry, pool);
  register_build_info(registry);

  http::Router router;
  http::Pipeline pipeline;
  pipeline.use(http::Stage::observe, http::request_context_middleware());
  // Not even mounted when its lines would be filtered out: it costs a clock read per request.
  if (cfg->boolean("MMX_ACCESS_LOG") && log::enabled(log::Level::info)) {
    pipeline.use(http::Stage::observe, http::access_log_middleware());
  }
  pipeline.use(http::Stage::observe, http::metrics_middleware(registry));
  pipeline.use(http::Stage::observe, http::errors_middleware());
  auto cors = cors_options(*cfg);
  if (!cors.allowed_origins.empty()) pipeline.use(http::Stage::cors, http::cors_middleware(cors));

  health::Registry checks;
  std::vector<std::pair<std::string, module::BackgroundTask>> task_defs;
  state->router = &router;
  state->running = selected;
  state->readiness_timeout = cfg->duration("MMX_READINESS_TIMEOUT");
  const bool migrate_only = cl.command == "migrate";
  if (command) {
    module::Context ctx{*cfg, router, pipeline, registry, pool, checks, data_dir, task_defs};
    return run_command(*command, ctx);
  }
  try {
    for (const module::Module* m : selected) {
      router.set_current_module(m->name);
      module::Context ctx{*cfg,   router, pipeline, registry, pool,
                          checks, data_dir, task_defs};
      ctx.migrate_only = migrate_only;
      ctx.docs_only = docs_only;
      if (m->init) m->init(ctx);
    }
  } catch (const std::exception& e) {
    const char* what = migrate_only ? "migrate" : docs_only ? "openapi" : "start-up";
    log::error("app", migrate_only ? "migration failed" : "start-up failed", {{"error", e.what()}});
    log::flush();
    std::cerr << "micromax: " << what << " failed: " << e.what() << "\n";
    return 1;
  }
  if (migrate_only) {
    log::info("app", "migrations done");
    log::flush();
    return 0;
  }

  if (docs_only) {
    // The committed contract's format (shared/contracts/<target>.openapi.json): indented, in
    // generation order, the same document the selected targets serve at /openapi.json.
    std::cout << http::to_pretty_json(state->openapi_document());
    std::cout.flush();
    return std::cout ? 0 : 1;
  }

  if (cfg->is_set("MMX_OTLP_ENDPOINT")) {
    http::OtlpExporterOptions o;
    o.endpoint = cfg->string("MMX_OTLP_ENDPOINT");
    o.service_name = cfg->string("MMX_SERVICE_NAME");
    o.service_version = build_info().version;  // the exporter switches span recording on
    task_defs.emplace_back("otlp-exporter", [o] { return http::run_otlp_exporter(o); });
  }

  // Handlers go in before anything can announce readiness: a SIGTERM that arrives right
  // after "listening" must drain, not kill.
  asio::io_context signals_ctx;
  asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  int signal_number = 0;
  signals.async_wait([&](const boost::system::error_code&, int n) { signal_number = n; });

  const http::ServerOptions server_opts = server_options(*cfg);
  http::Server server(server_opts, router, pipeline);
  try {
    server.start();
  } catch (const std::exception& e) {
    log::error("app", "cannot start the HTTP server", {{"error", e.what()}});
    log::flush();
    std::cerr << "micromax: " << e.what() << "\n";
    return 1;
  }
  Tasks tasks(server.context(0));
  for (const auto& [name, task] : task_defs) tasks.start(name, task);

  const double ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::string base = "http://" + display_host(server_opts.host) + ":" +
                           std::to_string(server.port());
  std::string target_list;
  for (const auto* m : selected) {
    if (m->is_target) target_list += (target_list.empty() ? "" : ",") + m->name;
  }
  log::info("app", "listening",
            {{"address", base},
             {"port", static_cast<std::int64_t>(server.port())},
             {"targets", target_list.empty() ? std::string("server") : target_list},
             {"io_threads", static_cast<std::int64_t>(server.threads())},
             {"worker_threads", static_cast<std::int64_t>(pool.threads())},
             {"ready_ms", ready_ms}});
  const std::string home = base + "/", docs = base + "/docs", redoc = base + "/redoc",
                    metrics_url = base + "/metrics", ready_url = base + "/readyz";
  log::info("app", "open these",
            {{"home", home}, {"docs", docs}, {"redoc", redoc}, {"metrics", metrics_url},
             {"readyz", ready_url}});
  log::flush();

  // The main thread only waits for signals; the io threads serve.
  signals_ctx.run();

  log::info("app", "draining", {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"},
                                {"open_connections", static_cast<std::int64_t>(server.open_connections())}});
  state->draining = true;
  const auto delay = cfg->duration("MMX_DRAIN_DELAY");
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  server.begin_drain();
  const bool clean =
      server.wait_for_connections(std::chrono::steady_clock::now() + cfg->duration("MMX_DRAIN_TIMEOUT"));
  if (!clean) {
    log::warn("app", "drain deadline passed; closing remaining connections",
              {{"open_connections", static_cast<std::int64_t>(server.open_connections())}});
  }
  tasks.stop(std::chrono::milliseconds(5000));
  server.stop();
  pool.stop();
  log::info("app", "stopped", {{"clean", clean}});
  log::flush();
  return 0;
}

}  // namespace mmx::app
