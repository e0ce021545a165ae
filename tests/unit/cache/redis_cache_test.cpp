// The Redis backend's own cases, against the harness's redis-server: what redis-py reads
// back, the server stopped mid-use (misses, never throws) and started again, an invalidation
// the server refused being re-sent before the next read, credentials, an unreachable server.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

#include "../../harness/control.hpp"
#include "cache_test_support.hpp"
#include "mmx/redis/connection.hpp"

namespace mmx::cache {
namespace {

using namespace std::chrono_literals;
using test::run;

struct RedisCacheTest : ::testing::Test {
  void SetUp() override {
    auto u = mmx::test::test_url("MMX_TEST_REDIS_URL");
    if (!u) GTEST_SKIP() << "run through tests/harness/with_servers.py --redis";
    url = *u;
  }
  std::shared_ptr<VersionedCache> open(const std::string& with_url) {
    Options o;
    o.name = name = test::unique("redis");
    o.url = with_url;
    o.connect_wait = 2s;
    return make_cache(o, workers, metrics);
  }
  // The harness URL with credentials: redis://user:password@host:port/0.
  std::string with_credentials(const std::string& user, const std::string& password) const {
    return "redis://" + user + ":" + password + "@" + url.substr(std::string("redis://").size());
  }
  // An administrative connection (the harness's server has no password).
  redis::Connection admin() const {
    redis::ServerUrl u = redis::parse_server_url(url, 6379, "test URL");
    return redis::Connection(redis::config_from_url(u));
  }
  void acl(std::initializer_list<std::string_view> args) {
    redis::Args a{"ACL", "SETUSER"};
    for (auto arg : args) a.add(arg);
    admin().checked(a, "ACL SETUSER");
  }

  std::string url, name;
  metrics::Registry metrics;
  exec::WorkerPool workers{4, 1024};
};

// What a python3 one-liner with redis-py (Debian's python3-redis) prints for GET key.
std::string redis_py_get(const std::string& url, const std::string& key) {
  const std::string cmd = "/usr/bin/python3 -c 'import redis, sys; v = redis.Redis.from_url(sys.argv[1])"
                          ".get(sys.argv[2]); print(v.decode() if v is not None else \"(nil)\", end=\"\")' '" +
                          url + "' '" + key + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 256> buf{};
  while (pipe && fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  return out;
}

TEST_F(RedisCacheTest, RedisPyReadsWhatWeStore) {
  auto c = open(url);
  run(c->put("42", 7, R"({"id":42})"));
  EXPECT_EQ(redis_py_get(url, "mmx:" + name + ":42"), R"(7:{"id":42})");
  run(c->invalidate("42", 8));
  EXPECT_EQ(redis_py_get(url, "mmx:" + name + ":42"), "8!");
  EXPECT_EQ(admin().checked({"PTTL", "mmx:" + name + ":42"}, "PTTL")->integer > 290'000, true);
}

TEST_F(RedisCacheTest, ServerStoppedMidUseMissesWithoutThrowingThenRecovers) {
  auto c = open(url);
  run(c->put("k", 1, "v1"));
  ASSERT_TRUE(run(c->get("k")));

  mmx::test::server_control("redis", "stop");
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(run(c->get("k")), std::nullopt);
  run(c->put("k", 2, "v2"));
  run(c->invalidate("k", 3));
  // Callers do not queue on a dead server: after the first refused connect they miss at once.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_GE(test::requests(metrics, name, "error"), 50);
  EXPECT_EQ(test::requests(metrics, name, "hit"), 1);

  mmx::test::server_control("redis", "start");
  EXPECT_TRUE(test::eventually([&] {
    run(c->put("after", 1, "back"));
    return run(c->get("after")).has_value();
  }));
  // The invalidation lost in the outage went out first: "k" is a tombstone of 3.
  run(c->put("k", 2, "v2"));
  EXPECT_EQ(run(c->get("k")), std::nullopt);
  EXPECT_EQ(redis_py_get(url, "mmx:" + name + ":k"), "3!");
}

// The server is up but refuses the invalidation (here: the ACL stops scripts): the old entry
// is still in Redis, and this process must not read it back once the server accepts again.
TEST_F(RedisCacheTest, RefusedInvalidationIsResentBeforeTheNextRead) {
  const std::string user = test::unique("cacheuser");
  acl({user, "on", ">right-pass", "~*", "+@all"});
  auto c = open(with_credentials(user, "right-pass"));
  run(c->put("p", 1, "v1"));

  acl({user, "-@scripting"});
  run(c->invalidate("p", 2));  // NOPERM: counted, remembered
  EXPECT_EQ(test::requests(metrics, name, "error"), 1);
  EXPECT_EQ(redis_py_get(url, "mmx:" + name + ":p"), "1:v1");  // stale on the server
  EXPECT_EQ(run(c->get("p")), std::nullopt);  // but never served here

  acl({user, "+@all"});
  EXPECT_EQ(run(c->get("p")), std::nullopt);
  EXPECT_EQ(redis_py_get(url, "mmx:" + name + ":p"), "2!");
  run(c->put("p", 2, "v2"));
  EXPECT_EQ(run(c->get("p"))->payload, "v2");
  admin().command({"ACL", "DELUSER", user});
}

TEST_F(RedisCacheTest, WrongPasswordFailsStartNamingTheSettingNotThePassword) {
  const std::string user = test::unique("cacheuser");
  acl({user, "on", ">right-pass", "~*", "+@all"});
  const std::string m = test::error_of([&] { open(with_credentials(user, "wr0ng-pass")); });
  EXPECT_NE(m.find("MMX_CACHE_URL"), std::string::npos) << m;
  EXPECT_NE(m.find("AUTH refused"), std::string::npos) << m;
  EXPECT_NE(m.find(":***@"), std::string::npos) << m;
  EXPECT_EQ(m.find("wr0ng"), std::string::npos) << m;
  admin().command({"ACL", "DELUSER", user});
}

TEST_F(RedisCacheTest, UnreachableServerFailsStartWithinTheWait) {
  Options o;
  o.url = "redis://:s3cret@127.0.0.1:1/0";  // nothing listens on port 1
  o.connect_wait = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string m = test::error_of([&] { make_cache(o, workers, metrics); });
  EXPECT_NE(m.find("MMX_CACHE_URL"), std::string::npos) << m;
  EXPECT_NE(m.find("cannot connect"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

}  // namespace
}  // namespace mmx::cache
