#include <gtest/gtest.h>

#include "currency.hpp"
#include "etag.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/models/demo.hpp"
#include "orders.hpp"

namespace mmx::backend {
namespace {

TEST(Etag, QuotesTheVersion) { EXPECT_EQ(etag(7), "\"7\""); }

TEST(Etag, IfNoneMatchComparesWeakly) {
  EXPECT_TRUE(none_match_hits("\"7\"", "\"7\""));
  EXPECT_TRUE(none_match_hits("W/\"7\"", "\"7\""));
  EXPECT_TRUE(none_match_hits("\"1\", \"7\"", "\"7\""));
  EXPECT_TRUE(none_match_hits(" * ", "\"7\""));
  EXPECT_FALSE(none_match_hits("\"6\"", "\"7\""));
  EXPECT_FALSE(none_match_hits("7", "\"7\""));
  EXPECT_FALSE(none_match_hits("", "\"7\""));
}

int if_match_status(std::optional<std::string> header, std::int64_t version) {
  try {
    require_if_match(header, version, "product");
    return 0;
  } catch (const errors::HttpError& e) {
    return e.status();
  }
}

TEST(Etag, IfMatchComparesStronglyAndIsRequired) {
  EXPECT_EQ(if_match_status("\"3\"", 3), 0);
  EXPECT_EQ(if_match_status("\"2\", \"3\"", 3), 0);
  EXPECT_EQ(if_match_status("*", 3), 0);
  EXPECT_EQ(if_match_status("\"2\"", 3), 412);
  EXPECT_EQ(if_match_status("W/\"3\"", 3), 412);  // weak tags never match If-Match
  EXPECT_EQ(if_match_status("garbage", 3), 412);
  EXPECT_EQ(if_match_status(std::nullopt, 3), 428);
}

TEST(Currency, Iso4217) {
  EXPECT_TRUE(is_iso4217("EUR"));
  EXPECT_TRUE(is_iso4217("USD"));
  EXPECT_TRUE(is_iso4217("JPY"));
  EXPECT_FALSE(is_iso4217("XYZ"));
  EXPECT_FALSE(is_iso4217("eur"));
  EXPECT_FALSE(is_iso4217("XAU"));  // a metal, not a price
  EXPECT_FALSE(is_iso4217(""));
}

TEST(OrderStatusMachine, OnlyTheDocumentedTransitions) {
  using S = OrderStatus;
  const S all[] = {S::pending, S::paid, S::shipped, S::delivered, S::cancelled};
  int allowed = 0;
  for (S from : all) {
    for (S to : all) allowed += transition_allowed(from, to) ? 1 : 0;
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_TRUE(transition_allowed(S::pending, S::paid));
  EXPECT_TRUE(transition_allowed(S::paid, S::shipped));
  EXPECT_TRUE(transition_allowed(S::shipped, S::delivered));
  EXPECT_TRUE(transition_allowed(S::pending, S::cancelled));
  EXPECT_TRUE(transition_allowed(S::paid, S::cancelled));
  EXPECT_FALSE(transition_allowed(S::shipped, S::cancelled));
  EXPECT_FALSE(transition_allowed(S::pending, S::shipped));
  EXPECT_FALSE(transition_allowed(S::cancelled, S::pending));
}

TEST(DemoUsers, IdsAreStableDistinctUuids) {
  const std::string id = models::demo::user_id("alice@demo.micromax.dev");
  EXPECT_EQ(id, models::demo::user_id("alice@demo.micromax.dev"));
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '8');  // version 8
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
  std::set<std::string> ids;
  for (const auto& u : models::demo::users()) ids.insert(models::demo::user_id(u.email));
  EXPECT_EQ(ids.size(), models::demo::users().size());
}

}  // namespace
}  // namespace mmx::backend
