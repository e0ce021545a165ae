#include "product_cache.hpp"

namespace mmx::backend {

// Payload: one flag character ('a'ctive / 'i'nactive), then the JSON.
boost::asio::awaitable<std::optional<ProductCache::Hit>> ProductCache::get(std::int64_t id) {
  auto entry = co_await cache_->get(std::to_string(id));
  if (!entry || entry->payload.empty()) co_return std::nullopt;
  Hit hit;
  hit.version = entry->version;
  hit.active = entry->payload.front() == 'a';
  hit.json = std::move(entry->payload);
  hit.json.erase(0, 1);  // the flag; no second allocation
  co_return hit;
}

boost::asio::awaitable<void> ProductCache::put(const Product& p, const std::string& json) {
  std::string payload;
  payload.reserve(json.size() + 1);
  payload += p.active ? 'a' : 'i';
  payload += json;
  co_await cache_->put(std::to_string(p.id), p.version, std::move(payload));
}

boost::asio::awaitable<void> ProductCache::invalidate(std::int64_t id, std::int64_t version) {
  co_await cache_->invalidate(std::to_string(id), version);
}

}  // namespace mmx::backend
