#include "seed.hpp"

#include <array>
#include <random>

#include "catalog.hpp"
#include "mmx/log/log.hpp"
#include "mmx/models/demo.hpp"
#include "orders.hpp"

namespace mmx::backend {

namespace {

constexpr const char* kSeedName = "demo-v1";
constexpr int kDays = 90;

struct Category {
  const char* name;
  const char* code;
  std::array<const char*, 8> nouns;
  std::int64_t min_cents, max_cents;
};

const std::array<Category, 8> kCategories = {{
    {"books",
     "BK",
     {"Novel", "Cookbook", "Atlas", "Anthology", "Biography", "Guide", "Handbook", "Poetry"},
     799,
     5999},
    {"electronics",
     "EL",
     {"Headphones", "Charger", "Speaker", "Keyboard", "Mouse", "Monitor", "Router", "Webcam"},
     1499,
     49999},
    {"home",
     "HM",
     {"Lamp", "Rug", "Vase", "Clock", "Cushion", "Mirror", "Blanket", "Shelf"},
     999,
     19999},
    {"garden",
     "GD",
     {"Rake", "Planter", "Hose", "Shears", "Bench", "Lantern", "Trowel", "Birdhouse"},
     599,
     24999},
    {"toys",
     "TY",
     {"Puzzle", "Robot", "Kite", "Train Set", "Doll", "Yo-yo", "Board Game", "Blocks"},
     499,
     8999},
    {"sports",
     "SP",
     {"Ball", "Racket", "Yoga Mat", "Helmet", "Bottle", "Gloves", "Jump Rope", "Backpack"},
     899,
     17999},
    {"clothing",
     "CL",
     {"T-shirt", "Hoodie", "Scarf", "Cap", "Jacket", "Socks", "Sweater", "Raincoat"},
     999,
     14999},
    {"grocery",
     "GR",
     {"Coffee", "Tea", "Olive Oil", "Honey", "Chocolate", "Pasta", "Granola", "Spices"},
     299,
     2999},
}};

constexpr std::array<const char*, 10> kAdjectives = {"Classic",  "Compact", "Deluxe",  "Everyday",
                                                     "Handmade", "Nordic",  "Organic", "Premium",
                                                     "Rustic",   "Vintage"};

// Our own ranges on top of mt19937_64 (whose output the standard fixes): the distributions
// of <random> differ between standard libraries, and the demo data must not.
struct Rng {
  std::mt19937_64 engine{20261124};
  std::int64_t between(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(engine() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(int percent) { return between(1, 100) <= percent; }
};

std::vector<ProductInput> demo_catalog(Rng& rng) {
  std::vector<ProductInput> out;
  for (const Category& c : kCategories) {
    int n = 0;
    for (const char* adjective : kAdjectives) {
      for (std::size_t k = 0; k < 4; ++k) {
        const char* noun = c.nouns[(n + k * 3) % c.nouns.size()];
        ++n;
        ProductInput p;
        char sku[32];
        std::snprintf(sku, sizeof sku, "%s-%04d", c.code, n);
        p.sku = sku;
        p.name = std::string(adjective) + " " + noun;
        if (k > 0) p.name += " " + std::to_string(k + 1);
        p.description = "A " + std::string(adjective) + " " + noun + " from the " + c.name +
                        " range of the MicroMax demo shop.";
        // Prices end in 9 cents, like a shop's.
        p.price_cents = rng.between(c.min_cents / 10, c.max_cents / 10) * 10 + 9;
        p.currency = "EUR";
        p.stock = rng.between(50, 400);
        p.category = c.name;
        p.active = !rng.chance(5);
        out.push_back(std::move(p));
      }
    }
  }
  return out;
}

}  // namespace

awaitable<SeedReport> seed_demo_data(Service& svc) {
  SeedReport report;
  auto done = co_await svc.db->fetch_value<std::string>(
      "SELECT completed_at FROM seed_runs WHERE name = $1", std::string(kSeedName));
  if (done) {
    report.already = true;
    co_return report;
  }
  Rng rng;
  log::info("backend", "seeding demo data", {{"seed", kSeedName}});
  using namespace std::chrono;
  const auto now = floor<seconds>(system_clock::now());
  // Named arguments: see routes_products.cpp on g++ 12 and converted temporaries.
  std::vector<ProductInput> products = demo_catalog(rng);
  std::vector<bool> active;
  for (const auto& p : products) active.push_back(p.active);
  std::optional<dto::TimePoint> opened = now - days(kDays + 1);
  BulkUpsertResult catalog =
      co_await upsert_products(svc, std::move(products), std::string(), std::move(opened));
  report.products = static_cast<std::int64_t>(catalog.items.size());

  // The result lists the rows in input order: what was active is known without a query.
  std::vector<std::int64_t> sellable;
  for (std::size_t i = 0; i < catalog.items.size(); ++i) {
    if (active[i]) sellable.push_back(catalog.items[i].id);
  }
  std::vector<std::string> customers;
  for (const auto& u : models::demo::users()) {
    if (u.role == "customer") customers.push_back(models::demo::user_id(u.email));
  }

  int serial = 0;
  for (int day = kDays; day >= 1; --day) {
    const std::int64_t orders_today = rng.between(3, 10);
    for (std::int64_t k = 0; k < orders_today; ++k) {
      const auto placed_at = now - days(day) + seconds(rng.between(0, 86'399));
      PlaceRequest req;
      req.user_id = customers[static_cast<std::size_t>(rng.between(0, customers.size() - 1))];
      const std::int64_t lines = rng.between(1, 4);
      std::vector<std::int64_t> picked;
      for (std::int64_t l = 0; l < lines; ++l) {
        const std::int64_t id =
            sellable[static_cast<std::size_t>(rng.between(0, sellable.size() - 1))];
        if (std::find(picked.begin(), picked.end(), id) != picked.end()) continue;
        picked.push_back(id);
        req.body.lines.push_back({id, static_cast<std::int32_t>(rng.between(1, 3))});
      }
      req.idempotency_key = "seed-" + std::to_string(++serial);
      req.at = placed_at;
      // The fate of the order, drawn whether or not it was placed by an earlier run, so a
      // resumed seed draws the same numbers as a complete one.
      const bool cancel = rng.chance(8);
      const std::int64_t hours_to_pay = rng.between(1, 30);
      const std::int64_t hours_to_ship = rng.between(12, 72);
      const std::int64_t hours_to_deliver = rng.between(24, 120);
      Placed placed = co_await place_order(svc, std::move(req));
      if (placed.replayed && placed.order.status != OrderStatus::pending) continue;
      ++report.orders;

      const auto id = placed.order.id;
      auto step = [&](OrderStatus to, system_clock::time_point at,
                      std::optional<std::string> reason = std::nullopt) {
        Transition t;
        t.order_id = id;
        t.to = to;
        t.at = at;
        t.reason = std::move(reason);
        return transition_order(svc, std::move(t));
      };
      const auto paid_at = placed_at + hours(hours_to_pay);
      const auto shipped_at = paid_at + hours(hours_to_ship);
      const auto delivered_at = shipped_at + hours(hours_to_deliver);
      if (cancel) {
        const system_clock::time_point cancel_at = placed_at + hours(hours_to_pay);
        std::optional<std::string> reason = "Changed my mind";
        co_await step(OrderStatus::cancelled, std::min<system_clock::time_point>(cancel_at, now),
                      std::move(reason));
        continue;
      }
      if (paid_at > now) continue;
      co_await step(OrderStatus::paid, paid_at);
      if (shipped_at > now) continue;
      co_await step(OrderStatus::shipped, shipped_at);
      if (delivered_at > now) continue;
      co_await step(OrderStatus::delivered, delivered_at);
    }
  }
  co_await svc.db->execute("INSERT INTO seed_runs (name, completed_at) VALUES ($1, $2)",
                           std::string(kSeedName), system_clock::now());
  log::info("backend", "demo data seeded",
            {{"products", report.products}, {"orders", report.orders}});
  co_return report;
}

}  // namespace mmx::backend
