#include "data_module.hpp"

#include <chrono>

#include "mmx/broker/idempotent.hpp"
#include "mmx/broker/service_broker.hpp"
#include "mmx/db/errors.hpp"
#include "mmx/db/service_database.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/models/events.hpp"

namespace mmx::migrations {
const std::vector<db::MigrationFile>& testbed();
}

namespace mmx::testbed {

struct NewProduct {
  std::string sku;
  std::string name;
  std::int64_t price_cents = 0;
};
BOOST_DESCRIBE_STRUCT(NewProduct, (), (sku, name, price_cents))
MMX_DTO_CONSTRAINTS(NewProduct, (sku, length(1, 64)), (name, length(1, 200)),
                    (price_cents, range(0, 100'000'000)))

struct Product {
  std::int64_t id = 0;
  std::string sku;
  std::string name;
  std::int64_t price_cents = 0;
  dto::TimePoint created_at;
};
BOOST_DESCRIBE_STRUCT(Product, (), (id, sku, name, price_cents, created_at))

struct SeenCount {
  std::int64_t effects = 0;
  std::int64_t distinct_events = 0;
};
BOOST_DESCRIBE_STRUCT(SeenCount, (), (effects, distinct_events))

namespace {
namespace asio = boost::asio;
constexpr const char* kService = "testbed";
}  // namespace

module::Module make_data_module() {
  module::Module m;
  m.name = "testbed_data";
  m.description = "Test-only: database, outbox and consumer of the functional tests.";
  m.docs_path = "/docs#/testbed_data";
  m.declare_settings = [](config::SettingRegistry& r) {
    db::declare_service_database(r, kService);
    config::Setting relay;
    relay.name = "MMX_TESTBED_RELAY";
    relay.kind = config::Kind::boolean;
    relay.default_value = "true";
    relay.help = "false: events stay in the outbox (crash-between-commit-and-relay tests).";
    relay.group = "testbed";
    r.add(relay);
  };
  m.init = [](module::Context& ctx) {
    auto db = db::open_service_database(ctx, kService, migrations::testbed());
    if (ctx.migrate_only) return;
    auto events = broker::open_service_broker(ctx, kService, db, ctx.config.boolean("MMX_TESTBED_RELAY"));
    auto outbox = events.outbox;

    auto idem = std::make_shared<broker::IdempotentConsumer>(db, "testbed");
    idem->ensure_schema();
    auto handler = idem->wrap([](const broker::Message& msg, db::Transaction& tx) -> asio::awaitable<void> {
      auto sku = msg.event.data.as_object().at("sku").as_string();
      co_await tx.execute("INSERT INTO seen_events (event_id, event_type, sku) VALUES ($1, $2, $3)",
                          msg.event.id, msg.event.type, std::string(sku));
    });
    const std::vector<std::string> topics{std::string(models::topics::catalog_products)};
    try {
      events.broker->join("testbed", topics, events.consume_options.consumer);
    } catch (const broker::BrokerError& e) {
      throw std::runtime_error(std::string("MMX_BROKER_URL: cannot join consumer group testbed: ") + e.what());
    }
    ctx.add_background_task("testbed-consumer", [b = events.broker, handler, o = events.consume_options] {
      return b->consume("testbed", {std::string(models::topics::catalog_products)}, handler, o);
    });

    auto& r = ctx.router;
    r.post("/testbed/products", [db, outbox](http::Request& req) -> http::awaitable<http::Response> {
       auto in = req.json<NewProduct>();
       Product p;
       try {
         p = co_await db->transaction([&](db::Transaction& tx) -> asio::awaitable<Product> {
           auto id = co_await tx.fetch_value<std::int64_t>(
               "INSERT INTO product_ids (taken_at) VALUES ($1) RETURNING id",
               std::chrono::system_clock::now());
           Product row{*id, in.sku, in.name, in.price_cents, std::chrono::system_clock::now()};
           co_await tx.execute(
               "INSERT INTO products (id, sku, name, price_cents, created_at) VALUES ($1, $2, $3, $4, $5)",
               row.id, row.sku, row.name, row.price_cents, row.created_at);
           models::ProductEvent data;
           data.id = row.id;
           data.sku = row.sku;
           data.name = row.name;
           data.price_cents = row.price_cents;
           data.currency = "EUR";
           data.version = 1;
           data.updated_at = row.created_at;
           auto event = broker::make_event(std::string(models::event_types::product_created),
                                           "/micromax/testbed", dto::to_json(data),
                                           std::to_string(row.id), req.trace().traceparent());
           co_await outbox->add(tx, std::string(models::topics::catalog_products),
                                std::to_string(row.id), event);
           co_return row;
         });
       } catch (const db::DbError& e) {
         if (e.kind() != db::ErrorKind::unique_violation) throw;
         throw errors::conflict("A product with SKU " + in.sku + " already exists.");
       }
       http::Response resp = http::Response::of(p, 201);
       resp.set_header("Location", "/testbed/products/" + std::to_string(p.id));
       co_return resp;
     })
        .summary("Create a product and its product.created event (outbox)")
        .tag("testbed_data")
        .body<NewProduct>()
        .returns<Product>(201, "Created")
        .returns(409, "SKU taken");

    r.get("/testbed/products/{id:int}", [db](http::Request& req) -> http::awaitable<http::Response> {
       auto p = co_await db->fetch_one<Product>("SELECT * FROM products WHERE id = $1", req.param_int("id"));
       if (!p) throw errors::not_found("No product " + std::to_string(req.param_int("id")) + ".");
       co_return http::Response::of(*p);
     })
        .summary("Read a product")
        .tag("testbed_data")
        .returns<Product>(200, "The product")
        .returns(404, "No such product");

    r.get("/testbed/seen", [db](http::Request&) -> http::awaitable<http::Response> {
       auto c = co_await db->fetch_one<SeenCount>(
           "SELECT count(*) AS effects, count(DISTINCT event_id) AS distinct_events FROM seen_events");
       co_return http::Response::of(*c);
     })
        .summary("What the testbed consumer did")
        .tag("testbed_data")
        .returns<SeenCount>(200, "Counts");

    r.get("/testbed/outbox", [outbox](http::Request&) -> http::awaitable<http::Response> {
       auto n = co_await outbox->pending();
       co_return http::Response::json(boost::json::object{{"pending", n}});
     })
        .summary("Events waiting in the outbox")
        .tag("testbed_data");
  };
  return m;
}

}  // namespace mmx::testbed
