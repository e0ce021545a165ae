#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "mmx/broker/contracts.hpp"
#include "mmx/dto/dto.hpp"
#include "mmx/models/event_catalog.hpp"
#include "mmx/models/events.hpp"

namespace {

namespace json = boost::json;
namespace broker = mmx::broker;
namespace models = mmx::models;
namespace dto = mmx::dto;

dto::TimePoint at(std::string_view text) { return dto::parse_date_time(text).value(); }

models::ProductEvent product() {
  return {.id = 7,
          .sku = "GM-0007",
          .name = "Chess set",
          .description = "",
          .price_cents = 2500,
          .currency = "USD",
          .stock = 0,
          .category = "games",
          .active = false,
          .version = 1,
          .updated_at = at("2026-03-01T08:00:00.5Z")};
}

models::OrderEvent order(models::OrderStatus status) {
  models::OrderEvent o;
  o.id = 9;
  o.user_id = "u-1";
  o.status = status;
  o.total_cents = 7500;
  o.currency = "USD";
  o.lines = {{.product_id = 7, .sku = "GM-0007", .quantity = 3, .unit_price_cents = 2500}};
  o.occurred_at = at("2026-03-01T09:00:00Z");
  return o;
}

// The data a producer would build for `type`, from the DTOs (not the catalogue's examples).
json::value data_for(std::string_view type) {
  using models::OrderStatus;
  if (type == "product.created" || type == "product.updated") return dto::to_json(product());
  if (type == "product.deleted") {
    return dto::to_json(models::ProductDeleted{
        .id = 7, .sku = "GM-0007", .version = 2, .deleted_at = at("2026-03-02T00:00:00Z")});
  }
  if (type == "order.placed") return dto::to_json(order(OrderStatus::pending));
  if (type == "order.paid") return dto::to_json(order(OrderStatus::paid));
  if (type == "order.shipped") return dto::to_json(order(OrderStatus::shipped));
  if (type == "order.delivered") return dto::to_json(order(OrderStatus::delivered));
  if (type == "order.cancelled") {
    models::OrderCancelled c;
    static_cast<models::OrderEvent&>(c) = order(OrderStatus::cancelled);
    c.reason = "out of stock";
    return dto::to_json(c);
  }
  if (type == "user.registered") {
    return dto::to_json(models::UserRegistered{
        .user_id = "u-1", .email = "grace@example.com", .full_name = "Grace Hopper", .roles = {}});
  }
  ADD_FAILURE() << "no test data for " << type;
  return nullptr;
}

broker::Event event(std::string_view type, json::value data) {
  return broker::make_event(std::string(type), "/micromax/test", std::move(data), "7");
}

// The errors a validator threw for `e`; fails the test if it threw anything else or nothing.
std::vector<dto::FieldError> violations(const broker::EventValidator& validate,
                                        const broker::Event& e) {
  try {
    validate(e);
  } catch (const broker::ContractViolation& v) {
    for (const auto& f : v.errors()) {
      EXPECT_NE(std::string(v.what()).find(f.pointer + ": " + f.message), std::string::npos)
          << "what() should list " << f.pointer << ": " << v.what();
    }
    return v.errors();
  }
  ADD_FAILURE() << "no ContractViolation for " << broker::serialize(e);
  return {};
}

bool has_pointer(const std::vector<dto::FieldError>& errors, std::string_view pointer) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const dto::FieldError& f) { return f.pointer == pointer; });
}

class Contracts : public ::testing::Test {
 protected:
  broker::ContractRegistry registry;
  broker::EventValidator validate = registry.validator();
};

TEST_F(Contracts, DeclaresEveryDomainEventOnItsTopic) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"product.created", "catalog.products"},
      {"product.updated", "catalog.products"},
      {"product.deleted", "catalog.products"},
      {"order.placed", "orders"},
      {"order.paid", "orders"},
      {"order.shipped", "orders"},
      {"order.delivered", "orders"},
      {"order.cancelled", "orders"},
      {"user.registered", "identity.users"}};
  ASSERT_EQ(registry.event_types().size(), expected.size());
  for (const auto& [type, topic] : expected) {
    const models::EventType* t = registry.find(type);
    ASSERT_NE(t, nullptr) << type;
    EXPECT_EQ(t->topic, topic) << type;
    EXPECT_FALSE(t->summary.empty()) << type;
  }
  EXPECT_EQ(registry.topics(),
            (std::vector<std::string>{"catalog.products", "orders", "identity.users"}));
}

TEST_F(Contracts, AValidEventOfEachTypePasses) {
  for (const auto& t : registry.event_types()) {
    EXPECT_NO_THROW(validate(event(t.type, data_for(t.type)))) << t.type;
    // The document's examples come from the catalogue: they must pass too.
    EXPECT_NO_THROW(validate(event(t.type, t.example))) << t.type;
  }
}

TEST_F(Contracts, MissingFieldIsNamedByItsPointer) {
  json::value data = data_for("product.created");
  data.as_object().erase("sku");
  auto errors = violations(validate, event("product.created", data));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], (dto::FieldError{"/data/sku", "is required"}));
}

TEST_F(Contracts, WrongTypeIsNamedByItsPointer) {
  json::value data = data_for("product.updated");
  data.as_object()["price_cents"] = "25.00";
  auto errors = violations(validate, event("product.updated", data));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], (dto::FieldError{"/data/price_cents", "must be an integer"}));
}

TEST_F(Contracts, NegativeQuantityIsNamedByItsPointer) {
  json::value data = data_for("order.placed");
  data.at_pointer("/lines/0/quantity") = -1;
  auto errors = violations(validate, event("order.placed", data));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], (dto::FieldError{"/data/lines/0/quantity", "must be at least 1"}));
}

TEST_F(Contracts, BadCurrencyIsNamedByItsPointer) {
  for (const char* bad : {"usd", "US", "EURO", "€"}) {
    json::value data = data_for("order.paid");
    data.as_object()["currency"] = bad;
    auto errors = violations(validate, event("order.paid", data));
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors[0].pointer, "/data/currency") << bad;
  }
}

TEST_F(Contracts, EveryFailingFieldIsListedAtOnce) {
  json::value data = data_for("order.cancelled");
  auto& o = data.as_object();
  o.erase("user_id");
  o["total_cents"] = -5;
  o["lines"].as_array()[0].as_object()["sku"] = 12;
  o["reason"] = "";
  broker::Event e = event("order.cancelled", data);
  e.datacontenttype = "text/plain";
  auto errors = violations(validate, e);
  EXPECT_EQ(errors.size(), 5u);
  for (const char* pointer : {"/datacontenttype", "/data/user_id", "/data/total_cents",
                              "/data/lines/0/sku", "/data/reason"}) {
    EXPECT_TRUE(has_pointer(errors, pointer)) << pointer;
  }
}

TEST_F(Contracts, UndeclaredTypeIsRefused) {
  try {
    validate(event("order.refunded", data_for("order.paid")));
    FAIL() << "no EventError";
  } catch (const broker::ContractViolation&) {
    FAIL() << "an undeclared type has no fields to blame";
  } catch (const broker::EventError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind(
            "event type 'order.refunded' is not declared in shared/contracts/asyncapi.yaml", 0),
        0u)
        << e.what();
  }
}

TEST_F(Contracts, EnvelopeMustCarryJsonData) {
  broker::Event e = event("user.registered", data_for("user.registered"));
  e.datacontenttype = "application/xml";
  e.source.clear();
  e.time = "yesterday";
  auto errors = violations(validate, e);
  EXPECT_EQ(errors.size(), 3u);
  EXPECT_TRUE(has_pointer(errors, "/datacontenttype"));
  EXPECT_TRUE(has_pointer(errors, "/source"));
  EXPECT_TRUE(has_pointer(errors, "/time"));

  auto none = violations(validate, event("product.deleted", nullptr));
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0], (dto::FieldError{"/data", "must be an object"}));
}

TEST_F(Contracts, OrderStatusMustMatchTheEventType) {
  auto errors = violations(validate, event("order.shipped", data_for("order.paid")));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            (dto::FieldError{"/data/status", "must be \"shipped\" in an order.shipped event"}));

  // An unknown status is reported once, by the enum check.
  json::value data = data_for("order.paid");
  data.as_object()["status"] = "lost";
  errors = violations(validate, event("order.paid", data));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/data/status");
  EXPECT_NE(errors[0].message.find("must be one of"), std::string::npos);
}

TEST_F(Contracts, UserRegisteredCannotCarryAPassword) {
  for (const char* secret : {"password", "password_hash"}) {
    json::value data = data_for("user.registered");
    data.as_object()[secret] = "hunter2";
    auto errors = violations(validate, event("user.registered", data));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], (dto::FieldError{"/data/" + std::string(secret), "unknown field"}));
  }
  const auto& properties = registry.find("user.registered")->schema.at("properties").as_object();
  for (const auto& kv : properties) {
    EXPECT_EQ(std::string(kv.key()).find("password"), std::string::npos);
  }
}

TEST_F(Contracts, ValidatorOutlivesItsRegistry) {
  broker::EventValidator v;
  {
    broker::ContractRegistry scoped;
    v = scoped.validator();
  }
  EXPECT_NO_THROW(v(event("order.placed", data_for("order.placed"))));
  EXPECT_THROW(v(event("nope", nullptr)), broker::EventError);
}

TEST(ContractRegistry, RefusesATypeDeclaredTwice) {
  auto catalog = models::event_catalog();
  catalog.push_back(catalog.front());
  EXPECT_THROW(broker::ContractRegistry{catalog}, std::invalid_argument);
}

TEST(ContractRegistry, ValidatesByDefaultInDebugBuildsOnly) {
#ifdef NDEBUG
  EXPECT_FALSE(broker::validation_enabled_by_default());
#else
  EXPECT_TRUE(broker::validation_enabled_by_default());
#endif
}

// --- the data schemas -------------------------------------------------------------------

// Calls f(value, pointer) for every "$ref" string in `v`.
void for_each_ref(const json::value& v, const std::function<void(const std::string&)>& f) {
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (kv.key() == "$ref" && kv.value().is_string()) f(std::string(kv.value().get_string()));
      for_each_ref(kv.value(), f);
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& item : *a) for_each_ref(item, f);
  }
}

// Every "$ref" is a local JSON pointer that resolves within `doc`; returns how many there were.
std::size_t expect_refs_resolve(const json::value& doc) {
  std::size_t count = 0;
  for_each_ref(doc, [&](const std::string& ref) {
    ++count;
    ASSERT_EQ(ref.rfind('#', 0), 0u) << "not a local $ref: " << ref;
    boost::system::error_code ec;
    const json::value* target = doc.find_pointer(std::string_view(ref).substr(1), ec);
    EXPECT_TRUE(target && !ec) << "$ref does not resolve: " << ref;
  });
  return count;
}

TEST(EventCatalog, EachTypeHasASelfContainedDataSchema) {
  for (const auto& t : models::event_catalog()) {
    EXPECT_EQ(t.schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema") << t.type;
    EXPECT_EQ(t.schema.at("type"), "object") << t.type;
    expect_refs_resolve(t.schema);
  }
  const auto& paid = models::find_event_type("order.paid")->schema;
  EXPECT_EQ(paid.at("properties").at("status").at("const"), "paid");
  EXPECT_TRUE(paid.at("$defs").as_object().contains("OrderLine"));
  EXPECT_EQ(models::find_event_type("order.refunded"), nullptr);
}

// --- the AsyncAPI document -------------------------------------------------------------

class Document : public ::testing::Test {
 protected:
  broker::ContractRegistry registry;
  json::value doc = broker::asyncapi_document(registry);
};

TEST_F(Document, IsAsyncApi3WithStructuredCloudEvents) {
  EXPECT_EQ(doc.at("asyncapi"), "3.0.0");
  EXPECT_EQ(doc.at_pointer("/info/title"), "MicroMax events");
  EXPECT_EQ(doc.at_pointer("/info/version"), json::value(models::kEventContractVersion));
  EXPECT_EQ(doc.at("defaultContentType"), "application/cloudevents+json");
  // Generated twice, the same text: the committed copy can be diffed.
  EXPECT_EQ(json::serialize(doc), json::serialize(broker::asyncapi_document(registry)));
}

TEST_F(Document, HasAChannelPerTopicAndASendOperationForEach) {
  const auto& channels = doc.at("channels").as_object();
  std::set<std::string> addresses;
  for (const auto& kv : channels)
    addresses.insert(std::string(kv.value().at("address").as_string()));
  EXPECT_EQ(addresses, (std::set<std::string>{"catalog.products", "orders", "identity.users"}));
  EXPECT_EQ(channels.size(), addresses.size());

  const auto& operations = doc.at("operations").as_object();
  EXPECT_EQ(operations.size(), channels.size());
  for (const auto& kv : operations) {
    EXPECT_EQ(kv.value().at("action"), "send") << kv.key();
    // Each operation sends exactly its channel's messages.
    const std::string channel(kv.value().at_pointer("/channel/$ref").as_string());
    const auto& channel_messages = doc.at_pointer(channel.substr(1) + "/messages").as_object();
    EXPECT_EQ(kv.value().at("messages").as_array().size(), channel_messages.size()) << kv.key();
  }
}

TEST_F(Document, HasAMessagePerTypeInItsTopicsChannel) {
  const auto& messages = doc.at_pointer("/components/messages").as_object();
  EXPECT_EQ(messages.size(), registry.event_types().size());
  for (const auto& t : registry.event_types()) {
    auto it = std::find_if(messages.begin(), messages.end(), [&](const auto& kv) {
      return kv.value().at("name") == json::value(t.type);
    });
    ASSERT_NE(it, messages.end()) << t.type;
    const json::value& m = it->value();
    EXPECT_EQ(m.at("contentType"), "application/cloudevents+json");
    EXPECT_EQ(m.at("summary"), json::value(t.summary));
    const auto& parts = m.at_pointer("/payload/allOf").as_array();
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].at("$ref"), "#/components/schemas/CloudEvent");
    EXPECT_EQ(parts[1].at_pointer("/properties/type/const"), json::value(t.type));
    EXPECT_EQ(m.at_pointer("/examples/0/payload/type"), json::value(t.type));
    EXPECT_EQ(m.at_pointer("/examples/0/payload/data"), t.example);

    // Listed in the channel of its topic.
    bool listed = false;
    for (const auto& ch : doc.at("channels").as_object()) {
      if (ch.value().at("address").as_string() != t.topic) continue;
      const std::string ref = "#/components/messages/" + std::string(it->key());
      for (const auto& cm : ch.value().at("messages").as_object()) {
        listed = listed || cm.value().at("$ref").as_string() == ref;
      }
    }
    EXPECT_TRUE(listed) << t.type << " not in the channel of " << t.topic;
  }
}

TEST_F(Document, EveryRefResolvesWithinTheDocument) {
  EXPECT_GT(expect_refs_resolve(doc), registry.event_types().size() * 3);
  const auto& schemas = doc.at_pointer("/components/schemas").as_object();
  for (const char* name : {"CloudEvent", "ProductEvent", "ProductDeleted", "OrderEvent",
                           "OrderLine", "OrderCancelled", "UserRegistered"}) {
    EXPECT_TRUE(schemas.contains(name)) << name;
  }
}

TEST_F(Document, DataSchemasCarryTheConstraints) {
  EXPECT_EQ(doc.at_pointer("/components/schemas/OrderLine/properties/quantity/minimum"), 1);
  EXPECT_EQ(doc.at_pointer("/components/schemas/ProductEvent/properties/currency/pattern"),
            "^[A-Z]{3}$");
  EXPECT_EQ(doc.at_pointer("/components/schemas/ProductEvent/properties/stock/minimum"), 0);
  EXPECT_EQ(doc.at_pointer("/components/schemas/UserRegistered/properties/email/format"), "email");
  EXPECT_EQ(doc.at_pointer("/components/messages/orderDelivered/payload/allOf/1/properties/data/"
                           "allOf/1/properties/status/const"),
            "delivered");
}

}  // namespace
