#pragma once
// What every handler of the backend shares: settings, database, outbox, product cache.
// One instance per process, built in the module's init.
#include <boost/asio/awaitable.hpp>
#include <memory>

#include "mmx/broker/outbox.hpp"
#include "mmx/db/database.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "product_cache.hpp"
#include "settings.hpp"

namespace mmx::backend {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct Service {
  BackendSettings settings;
  std::shared_ptr<db::Database> db;        // null in docs-only mode
  std::shared_ptr<broker::Outbox> outbox;  // null: no events (docs-only, commands)
  std::unique_ptr<ProductCache> cache;     // null: no caching
};

// The CloudEvents `source` of every event the backend emits.
inline constexpr const char* kEventSource = "/micromax/backend";

}  // namespace mmx::backend
