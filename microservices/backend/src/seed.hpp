#pragma once
// The demo data of the backend (`micromax seed`, MMX_DEMO_DATA=true): a reproducible
// catalog of a few hundred products across categories and 90 days of orders by the demo
// customers (shared/models/demo.hpp), placed and moved through their statuses by the same
// code as live orders, with their events, at historical times. Idempotent: a second run
// finds its marker and does nothing.
#include "service.hpp"

namespace mmx::backend {

struct SeedReport {
  bool already = false;
  std::int64_t products = 0, orders = 0;
};

awaitable<SeedReport> seed_demo_data(Service& svc);

}  // namespace mmx::backend
