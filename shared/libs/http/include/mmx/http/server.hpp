#pragma once
// HTTP/1.1 server: one io thread per core, each with its own SO_REUSEPORT listener, so
// connections spread across cores without a shared accept lock. Beast parses; responses
// are serialised here in one buffer so a pipelined batch goes out in one write.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mmx/http/middleware.hpp"
#include "mmx/http/router.hpp"

namespace mmx::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0: any free port (see Server::port())
  std::size_t threads = 0;    // 0: one per core
  std::size_t max_connections = 10000;            // global; over it: 503 and close
  std::size_t max_requests_per_connection = 0;    // 0: unlimited
  std::size_t pipeline_depth = 16;                // responses queued before a flush
  std::size_t header_limit = 16 * 1024;           // bytes; over it: 431
  std::uint64_t body_limit = 1024 * 1024;         // bytes; over it: 413
  std::chrono::milliseconds header_timeout{10'000};  // first byte to end of headers
  std::chrono::milliseconds body_timeout{30'000};    // end of headers to end of body
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30'000};   // a client that stops reading
  int backlog = 1024;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, const Pipeline& pipeline);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener (throws std::runtime_error naming the address when it cannot),
  // then starts the io threads.
  void start();
  std::uint16_t port() const;
  std::size_t threads() const;
  // The io context of thread i; background tasks run on context 0.
  boost::asio::io_context& context(std::size_t i = 0);

  // Graceful drain: stop accepting (new connections are refused), close idle keep-alive
  // connections, and let requests in flight finish; their responses carry
  // `Connection: close`.
  void begin_drain();
  bool draining() const;
  // Blocks until no connection is left or the deadline passes; true when all finished.
  bool wait_for_connections(std::chrono::steady_clock::time_point deadline);
  // Stops the io threads (closing whatever is left) and joins them.
  void stop();

  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mmx::http
