// The VersionedCache contract, run on every backend: cache_test.memory runs it on the
// in-process LRU, cache_test.redis on a private redis-server started by
// tests/harness/with_servers.py --redis (skipped when MMX_TEST_REDIS_URL is unset).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "../../harness/control.hpp"
#include "cache_test_support.hpp"

namespace mmx::cache {
namespace {

using namespace std::chrono_literals;
using test::run;

class CacheContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "redis" && !mmx::test::test_url("MMX_TEST_REDIS_URL"))
      GTEST_SKIP() << "run through tests/harness/with_servers.py --redis";
  }

  // A cache of its own (a unique name: its own Redis keys), the memory one on `clock`.
  std::shared_ptr<VersionedCache> open(std::chrono::milliseconds ttl = 300s) {
    Options o;
    o.name = test::unique("contract");
    o.ttl = ttl;
    if (GetParam() == "redis") o.url = *mmx::test::test_url("MMX_TEST_REDIS_URL");
    else o.clock = clock.fn();
    name = o.name;
    return make_cache(o, workers, metrics);
  }

  // Past the TTL: the memory clock moves; Redis is waited for (PX expiry).
  void expire(VersionedCache& cache, const std::string& key, std::chrono::milliseconds ttl) {
    if (GetParam() == "memory") {
      clock.advance(ttl + 1ms);
      return;
    }
    ASSERT_TRUE(test::eventually([&] { return run(cache.get(key)) == std::nullopt; }));
  }

  std::optional<Entry> get(VersionedCache& c, const std::string& k) { return run(c.get(k)); }
  void put(VersionedCache& c, const std::string& k, std::int64_t v, const std::string& p) { run(c.put(k, v, p)); }
  void invalidate(VersionedCache& c, const std::string& k, std::int64_t v) { run(c.invalidate(k, v)); }

  test::ManualClock clock;
  metrics::Registry metrics;
  exec::WorkerPool workers{4, 4096};
  std::string name;
};

TEST_P(CacheContract, MissThenHitAndCounts) {
  auto c = open();
  EXPECT_EQ(c->backend(), GetParam());
  EXPECT_EQ(get(*c, "p1"), std::nullopt);
  put(*c, "p1", 3, R"({"id":1,"name":"mug"})");
  auto hit = get(*c, "p1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->version, 3);
  EXPECT_EQ(hit->payload, R"({"id":1,"name":"mug"})");
  EXPECT_EQ(get(*c, "p2"), std::nullopt);
  EXPECT_EQ(test::requests(metrics, name, "hit"), 1);
  EXPECT_EQ(test::requests(metrics, name, "miss"), 2);
  EXPECT_EQ(test::requests(metrics, name, "error"), 0);
}

TEST_P(CacheContract, BinaryAndEmptyPayloadsRoundTrip) {
  auto c = open();
  const std::string binary("a\0b:c!\xff", 7);
  put(*c, "bin", 1, binary);
  put(*c, "empty", 2, "");
  EXPECT_EQ(get(*c, "bin")->payload, binary);
  ASSERT_TRUE(get(*c, "empty"));
  EXPECT_EQ(get(*c, "empty")->payload, "");
}

TEST_P(CacheContract, NewerPutReplacesOlderPutIsRefused) {
  auto c = open();
  put(*c, "k", 2, "v2");
  put(*c, "k", 1, "v1");  // a slow reader of an older version
  EXPECT_EQ(get(*c, "k")->payload, "v2");
  put(*c, "k", 2, "v2-again");  // the same version is the same data: kept as is
  EXPECT_EQ(get(*c, "k")->payload, "v2");
  put(*c, "k", 5, "v5");
  EXPECT_EQ(get(*c, "k")->version, 5);
}

// The race versions and tombstones exist for: a reader reads version 1 from the database, a
// writer commits version 2 and invalidates, then the reader puts version 1.
TEST_P(CacheContract, StalePutAfterInvalidationIsRefused) {
  auto c = open();
  put(*c, "p", 1, "v1");                  // cached before the write
  const std::int64_t read_version = 1;    // reader: SELECT ... -> version 1
  invalidate(*c, "p", 2);                 // writer: UPDATE ... version 2; COMMIT; invalidate
  EXPECT_EQ(get(*c, "p"), std::nullopt);
  put(*c, "p", read_version, "v1");       // reader, late: must not resurrect version 1
  EXPECT_EQ(get(*c, "p"), std::nullopt);
  put(*c, "p", 2, "v2");                  // a reader of the committed version may cache it
  ASSERT_TRUE(get(*c, "p"));
  EXPECT_EQ(get(*c, "p")->payload, "v2");
}

TEST_P(CacheContract, StalePutOnAnAbsentKeyIsRefusedToo) {
  auto c = open();
  invalidate(*c, "fresh", 7);  // nothing was cached: the tombstone alone guards the key
  put(*c, "fresh", 6, "v6");
  EXPECT_EQ(get(*c, "fresh"), std::nullopt);
  put(*c, "fresh", 8, "v8");
  EXPECT_EQ(get(*c, "fresh")->version, 8);
}

TEST_P(CacheContract, TombstoneThenNewerPutThenOlderInvalidation) {
  auto c = open();
  invalidate(*c, "k", 4);
  put(*c, "k", 5, "v5");
  EXPECT_EQ(get(*c, "k")->payload, "v5");
  invalidate(*c, "k", 3);  // a late, reordered invalidation of an older write: v5 is newer
  EXPECT_EQ(get(*c, "k")->payload, "v5");
  invalidate(*c, "k", 5);  // the entry already is the version that write committed
  EXPECT_EQ(get(*c, "k")->payload, "v5");
  invalidate(*c, "k", 6);  // deleted at 6
  EXPECT_EQ(get(*c, "k"), std::nullopt);
  invalidate(*c, "k", 5);  // an older tombstone does not lower the newer one
  put(*c, "k", 5, "v5");
  EXPECT_EQ(get(*c, "k"), std::nullopt);
  EXPECT_EQ(metrics.counter("mmx_cache_invalidations_total", "", {"cache"}).with({name}).value(), 5);
}

TEST_P(CacheContract, EntriesAndTombstonesExpire) {
  const auto ttl = GetParam() == "memory" ? 300s : std::chrono::milliseconds(300);
  auto c = open(ttl);
  put(*c, "e", 1, "v1");
  EXPECT_TRUE(get(*c, "e"));
  expire(*c, "e", ttl);
  EXPECT_EQ(get(*c, "e"), std::nullopt);

  invalidate(*c, "t", 9);
  put(*c, "t", 8, "v8");
  EXPECT_EQ(get(*c, "t"), std::nullopt);
  // After the TTL the tombstone is gone: this is the bound README.md documents.
  if (GetParam() == "memory") clock.advance(ttl + 1ms);
  else ASSERT_TRUE(test::eventually([&] { put(*c, "t", 8, "v8"); return get(*c, "t").has_value(); }));
  put(*c, "t", 8, "v8");
  EXPECT_EQ(get(*c, "t")->version, 8);
}

// Several threads, each with its own io_context, on a few hot keys. Writers bump a key's
// "database" version, invalidate, then publish it as committed; readers take the database
// version, sometimes stall (a slow query) and put it. Whatever the interleaving, a get that
// starts after an invalidation returned sees that version or newer, or misses; and the
// payload always matches its version.
TEST_P(CacheContract, ConcurrentReadersAndWritersNeverSeeAnOverwrittenVersion) {
  auto c = open();
  constexpr int keys = 8, threads = 4;
  const int ops = GetParam() == "memory" ? 20000 : 1500;
  std::array<std::atomic<std::int64_t>, keys> db{}, committed{};
  std::atomic<int> violations{0};
  auto payload_of = [](std::int64_t v) { return "payload-" + std::to_string(v); };

  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
      for (int i = 0; i < ops; ++i) {
        const int k = static_cast<int>(rng() % keys);
        const std::string key = "hot-" + std::to_string(k);
        if (t == 0 && rng() % 4 == 0) {  // the writer
          const std::int64_t v = ++db[k];
          invalidate(*c, key, v);
          std::int64_t seen = committed[k].load();
          while (seen < v && !committed[k].compare_exchange_weak(seen, v)) {}
          continue;
        }
        const std::int64_t floor = committed[k].load();
        auto hit = get(*c, key);
        if (hit && (hit->version < floor || hit->payload != payload_of(hit->version))) ++violations;
        if (!hit) {
          const std::int64_t read = db[k].load();
          if (rng() % 8 == 0) std::this_thread::yield();
          put(*c, key, read, payload_of(read));
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(violations.load(), 0);
  for (int k = 0; k < keys; ++k) {
    auto hit = get(*c, "hot-" + std::to_string(k));
    if (hit) {
      EXPECT_GE(hit->version, committed[k].load());
    }
  }
  EXPECT_EQ(test::requests(metrics, name, "error"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CacheContract, ::testing::Values("memory", "redis"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace mmx::cache
