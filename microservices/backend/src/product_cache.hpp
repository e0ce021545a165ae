#pragma once
// Product reads through the versioned cache (shared/libs/cache: in process, or Redis with
// MMX_CACHE_URL). An entry is the product's serialized JSON, tagged with its version and its
// active flag (visibility depends on it). Every write invalidates with the new version, so
// a reader that read the old row before the write cannot put it back afterwards.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mmx/cache/cache.hpp"
#include "models.hpp"

namespace mmx::backend {

class ProductCache {
 public:
  explicit ProductCache(std::shared_ptr<cache::VersionedCache> cache) : cache_(std::move(cache)) {}

  struct Hit {
    std::int64_t version = 0;
    bool active = true;
    std::string json;
  };
  boost::asio::awaitable<std::optional<Hit>> get(std::int64_t id);
  boost::asio::awaitable<void> put(const Product& p, const std::string& json);
  boost::asio::awaitable<void> invalidate(std::int64_t id, std::int64_t version);

 private:
  std::shared_ptr<cache::VersionedCache> cache_;
};

}  // namespace mmx::backend
