// The in-process backend's own cases: the LRU bound (tombstones count), the entries gauge,
// sharding of a large cache, and the URL errors that need no server.
#include <gtest/gtest.h>

#include "cache_test_support.hpp"

namespace mmx::cache {
namespace {

using test::run;

struct MemoryCacheTest : ::testing::Test {
  std::shared_ptr<VersionedCache> open(std::size_t max_entries) {
    Options o;
    o.name = "lru";
    o.max_entries = max_entries;
    return make_cache(o, workers, metrics);
  }
  double entries() { return metrics.gauge("mmx_cache_entries", "", {"cache"}).with({"lru"}).value(); }

  metrics::Registry metrics;
  exec::WorkerPool workers{1, 16};
};

TEST_F(MemoryCacheTest, LeastRecentlyUsedGoesFirstAndTombstonesCount) {
  auto c = open(3);
  run(c->put("a", 1, "A"));
  run(c->put("b", 1, "B"));
  run(c->put("c", 1, "C"));
  EXPECT_TRUE(run(c->get("a")));  // a is now the most recent: b is the oldest
  run(c->put("d", 1, "D"));
  EXPECT_EQ(run(c->get("b")), std::nullopt);
  run(c->invalidate("e", 1));  // a tombstone takes a place too: c goes
  EXPECT_EQ(run(c->get("c")), std::nullopt);
  EXPECT_TRUE(run(c->get("a")));
  EXPECT_TRUE(run(c->get("d")));
  EXPECT_EQ(entries(), 3);
  c.reset();
  EXPECT_EQ(entries(), 0);
}

TEST_F(MemoryCacheTest, ALargeCacheStaysWithinItsBound) {
  auto c = open(10000);
  for (int i = 0; i < 50000; ++i) run(c->put("k" + std::to_string(i), 1, "v"));
  EXPECT_LE(entries(), 10000);
  EXPECT_GE(entries(), 9000);  // sharding costs at most the rounding of each shard's share
  EXPECT_TRUE(run(c->get("k49999")));
  EXPECT_EQ(run(c->get("k0")), std::nullopt);
}

TEST(CacheUrl, MalformedUrlsNameTheSettingNeverThePassword) {
  metrics::Registry metrics;
  exec::WorkerPool workers{1, 16};
  auto message = [&](const std::string& url) {
    Options o;
    o.url = url;
    o.connect_wait = std::chrono::milliseconds(0);
    return test::error_of([&] { make_cache(o, workers, metrics); });
  };
  for (const auto& [url, says] : std::vector<std::pair<std::string, std::string>>{
           {"redis://:s3cret@localhost:99999", "port must be 1-65535"},
           {"memcached://:s3cret@localhost:11211", "expected redis://"},
           {"rediss://:s3cret@localhost", "TLS"},
           {"redis://u:s3cret@localhost/zero", "database number"},
           {"redis://s3cret@localhost", "a user needs a password"},
           {"redis://:s3cret@localhost?maxlen=5", "unknown option 'maxlen'"},
           {"redis://:s3cret@[::1", "malformed URL"}}) {
    const std::string m = message(url);
    EXPECT_NE(m.find("MMX_CACHE_URL"), std::string::npos) << m;
    EXPECT_NE(m.find(says), std::string::npos) << m;
    EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace mmx::cache
