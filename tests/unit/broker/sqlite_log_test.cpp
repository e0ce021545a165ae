// The SQLite log beyond the shared contract: several processes on one file at once (a
// group shares the messages exactly once; a killed member's unacknowledged deliveries go to
// the others), retention, URL options and a file that is not a database. Processes are
// fork()ed while the parent holds no connection to the file (SQLite connections must not
// cross a fork).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "broker_test_support.hpp"
#include "mmx/broker/backend.hpp"

namespace mmx::broker {
namespace {

using mmx::test::unique;

using namespace std::chrono_literals;
namespace fs = std::filesystem;


int number(const Delivery& d) { return std::stoi(d.payload.substr(d.payload.find(':') + 1)); }

std::string payload(int n) { return "{\"n\":" + std::to_string(n) + "}"; }

// Runs `body` in a child process; its exit status is 0 when it returned normally.
pid_t spawn(const std::function<void()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 0;
    try {
      body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
      code = 2;
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool wait_for_file(const fs::path& p, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!fs::exists(p)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void touch(const fs::path& p) { std::ofstream(p) << "1\n"; }

class SqliteLog : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / unique("mmx-sqlite-log-test");
    fs::create_directories(dir_);
    url_ = "sqlite:" + (dir_ / "events.db").string();
    topic_ = unique("orders");
  }
  void TearDown() override { fs::remove_all(dir_); }

  ConsumerOptions stuck(std::chrono::milliseconds after) {
    ConsumerOptions o;
    o.stuck_after = after;
    return o;
  }

  // Creates the group (at the head of the log) and closes every connection again.
  void create_group(const std::string& group, const std::string& url = {}) {
    auto b = make_backend(url.empty() ? url_ : url);
    b->subscribe(group, {topic_}, {});
  }

  void publish(Backend& b, int from, int n, int keys, const std::string& key_prefix = "k") {
    std::vector<OutgoingMessage> batch;
    for (int i = from; i < from + n; ++i)
      batch.push_back({topic_, key_prefix + std::to_string(i % keys), payload(i)});
    b.publish(batch);
  }

  // Polls until `want` deliveries arrived, or the deadline, or (quiet) a poll comes back empty.
  std::vector<Delivery> drain(Consumer& c, std::size_t want, bool ack,
                              std::chrono::milliseconds deadline = 20s, bool quiet = false) {
    std::vector<Delivery> got;
    auto until = std::chrono::steady_clock::now() + deadline;
    while (got.size() < want && std::chrono::steady_clock::now() < until) {
      auto batch = c.poll(want - got.size(), 100ms);
      if (batch.empty() && quiet) break;
      for (auto& d : batch) {
        if (ack) c.ack(d);
        got.push_back(std::move(d));
      }
    }
    return got;
  }

  fs::path dir_;
  std::string url_, topic_;
};

TEST_F(SqliteLog, ProcessesPublishingAndConsumingAtOnceDeliverEachMessageOnceToTheGroup) {
  const std::string group = unique("g");
  const int publishers = 2, per_publisher = 3000, consumers = 3;
  const int total = publishers * per_publisher;
  create_group(group);
  auto stop = dir_ / "stop";

  std::vector<pid_t> consumer_pids;
  for (int i = 0; i < consumers; ++i) {
    consumer_pids.push_back(spawn([&, i] {
      // The last member joins while messages flow, so the group rebalances under load.
      if (i == consumers - 1) std::this_thread::sleep_for(150ms);
      auto b = make_backend(url_);
      auto c = b->subscribe(group, {topic_}, stuck(10s));
      std::ofstream out(dir_ / ("consumer-" + std::to_string(i)));
      for (;;) {
        auto got = c->poll(64, 50ms);
        for (auto& d : got) {
          c->ack(d);
          out << d.key << ' ' << number(d) << ' ' << d.attempt << '\n';
        }
        out.flush();
        if (got.empty() && fs::exists(stop)) break;
      }
      c.reset();  // leave the group cleanly
    }));
  }
  std::vector<pid_t> publisher_pids;
  for (int p = 0; p < publishers; ++p) {
    publisher_pids.push_back(spawn([&, p] {
      auto b = make_backend(url_);
      for (int n = 0; n < per_publisher; n += 50) {
        publish(*b, p * per_publisher + n, 50, 20, "p" + std::to_string(p) + "-k");
        std::this_thread::sleep_for(10ms);
      }
    }));
  }
  for (auto pid : publisher_pids) EXPECT_EQ(wait_exit(pid), 0) << "publisher failed";

  auto count_lines = [&] {
    std::size_t lines = 0;
    for (int i = 0; i < consumers; ++i) {
      std::ifstream in(dir_ / ("consumer-" + std::to_string(i)));
      lines += std::count(std::istreambuf_iterator<char>(in), {}, '\n');
    }
    return lines;
  };
  auto until = std::chrono::steady_clock::now() + 60s;
  while (count_lines() < static_cast<std::size_t>(total) &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  touch(stop);
  for (auto pid : consumer_pids) EXPECT_EQ(wait_exit(pid), 0) << "consumer failed";

  std::map<int, int> times;
  std::vector<std::size_t> per_member;
  for (int i = 0; i < consumers; ++i) {
    std::ifstream in(dir_ / ("consumer-" + std::to_string(i)));
    std::map<std::string, int> last;  // per key: one member sees each key in order
    std::string key;
    int n = 0, attempt = 0;
    std::size_t mine = 0;
    while (in >> key >> n >> attempt) {
      ++times[n];
      ++mine;
      EXPECT_EQ(attempt, 1) << "message " << n << " was delivered before";
      auto it = last.find(key);
      if (it != last.end()) {
        EXPECT_LT(it->second, n) << "key " << key << " out of order";
      }
      last[key] = n;
    }
    per_member.push_back(mine);
  }
  ASSERT_EQ(times.size(), static_cast<std::size_t>(total)) << "messages lost";
  for (auto [n, t] : times) EXPECT_EQ(t, 1) << "message " << n << " delivered " << t << " times";
  for (int i = 0; i < consumers; ++i)
    EXPECT_GT(per_member[i], 0u) << "member " << i << " got nothing: the group did not share";
}

// In one process, as the generic layer uses it: a publisher thread, and consumer threads
// each with its own Consumer (woken by the in-process notifier).
TEST_F(SqliteLog, APublisherThreadAndConsumerThreadsShareOneBackend) {
  const int total = 4000;
  auto b = make_backend(url_);
  const std::string shared_group = unique("g"), other_group = unique("h");
  std::vector<std::unique_ptr<Consumer>> consumers;
  consumers.push_back(b->subscribe(shared_group, {topic_}, stuck(10s)));
  consumers.push_back(b->subscribe(shared_group, {topic_}, stuck(10s)));
  consumers.push_back(b->subscribe(other_group, {topic_}, stuck(10s)));
  std::vector<std::vector<int>> seen(consumers.size());
  std::atomic<int> received{0};  // all groups together
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < consumers.size(); ++i)
    threads.emplace_back([&, i] {
      while (!stop)
        for (auto& d : consumers[i]->poll(64, 20ms)) {
          consumers[i]->ack(d);
          seen[i].push_back(number(d));
          ++received;
        }
    });
  std::thread publisher([&] {
    for (int n = 0; n < total; n += 40) publish(*b, n, 40, 25);
  });
  publisher.join();
  auto until = std::chrono::steady_clock::now() + 30s;
  while (received < 2 * total && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);  // anything delivered twice would show up now
  stop = true;
  for (auto& t : threads) t.join();

  std::multiset<int> shared(seen[0].begin(), seen[0].end());
  shared.insert(seen[1].begin(), seen[1].end());
  std::multiset<int> other(seen[2].begin(), seen[2].end());
  EXPECT_EQ(shared.size(), static_cast<std::size_t>(total));
  EXPECT_EQ(other.size(), static_cast<std::size_t>(total));
  for (int n = 0; n < total; ++n) {
    EXPECT_EQ(shared.count(n), 1u) << "message " << n << " in the shared group";
    EXPECT_EQ(other.count(n), 1u) << "message " << n << " in the other group";
  }
  EXPECT_FALSE(seen[0].empty()) << "the shared group did not share";
  EXPECT_FALSE(seen[1].empty()) << "the shared group did not share";
}

TEST_F(SqliteLog, AKilledMembersUnackedDeliveriesGoToTheOthersWithAHigherAttempt) {
  const std::string group = unique("g");
  const int n = 30;
  create_group(group);
  {
    auto b = make_backend(url_);
    publish(*b, 0, n, 6);
  }
  auto report = dir_ / "victim";
  auto ready = dir_ / "victim.ready";
  pid_t victim = spawn([&] {
    auto b = make_backend(url_);
    auto c = b->subscribe(group, {topic_}, stuck(500ms));
    auto got = drain(*c, n, /*ack=*/false);
    std::ofstream out(report);
    for (std::size_t i = 0; i < got.size(); ++i) {
      bool acked = i < 10;  // handles the first ten, then dies holding the rest
      if (acked) c->ack(got[i]);
      out << number(got[i]) << ' ' << acked << '\n';
    }
    out.close();
    std::this_thread::sleep_for(100ms);
    c->poll(1, 10ms);  // the acks are committed by now
    touch(ready);
    for (;;) ::pause();
  });
  ASSERT_TRUE(wait_for_file(ready, 20s)) << "the victim never got its messages";
  ::kill(victim, SIGKILL);
  EXPECT_EQ(wait_exit(victim), 128 + SIGKILL);

  std::set<int> acked, unacked;
  {
    std::ifstream in(report);
    int num = 0, was_acked = 0;
    while (in >> num >> was_acked) (was_acked ? acked : unacked).insert(num);
  }
  ASSERT_EQ(acked.size() + unacked.size(), static_cast<std::size_t>(n));

  // Two survivors in other processes share what the victim held. (The victim's own
  // stuck_after decides when it is expired; theirs is long so that a loaded machine does not
  // make them expire each other.)
  std::vector<pid_t> survivors;
  for (int i = 0; i < 2; ++i) {
    survivors.push_back(spawn([&, i] {
      auto b = make_backend(url_);
      auto c = b->subscribe(group, {topic_}, stuck(10s));
      std::ofstream out(dir_ / ("survivor-" + std::to_string(i)));
      auto until = std::chrono::steady_clock::now() + 15s;
      while (!fs::exists(dir_ / "stop") && std::chrono::steady_clock::now() < until) {
        for (auto& d : c->poll(16, 50ms)) {
          c->ack(d);
          out << number(d) << ' ' << d.attempt << std::endl;
        }
      }
    }));
  }
  std::map<int, int> attempts;
  std::map<int, int> times;
  auto until = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < until) {
    times.clear();
    for (int i = 0; i < 2; ++i) {
      std::ifstream in(dir_ / ("survivor-" + std::to_string(i)));
      int num = 0, attempt = 0;
      while (in >> num >> attempt) {
        attempts[num] = attempt;
        ++times[num];
      }
    }
    if (times.size() >= unacked.size()) break;
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(300ms);  // anything extra (acked ones) would show up now
  touch(dir_ / "stop");
  for (auto pid : survivors) EXPECT_EQ(wait_exit(pid), 0);
  times.clear();
  for (int i = 0; i < 2; ++i) {
    std::ifstream in(dir_ / ("survivor-" + std::to_string(i)));
    int num = 0, attempt = 0;
    while (in >> num >> attempt) ++times[num];
  }

  for (int num : unacked) {
    EXPECT_EQ(times[num], 1) << "unacknowledged message " << num;
    EXPECT_EQ(attempts[num], 2) << "message " << num << " is a redelivery";
  }
  for (int num : acked) EXPECT_EQ(times.count(num), 0u) << "acknowledged " << num << " came back";
}

TEST_F(SqliteLog, AMemberAwayLongerThanStuckAfterLosesItsPartitionsAndItsLateAcksAreIgnored) {
  const std::string group = unique("g");
  auto b = make_backend(url_);
  auto slow = b->subscribe(group, {topic_}, stuck(300ms));
  slow->poll(1, 10ms);  // alone: takes every partition
  publish(*b, 0, 20, 8);
  auto held = drain(*slow, 20, false);
  ASSERT_EQ(held.size(), 20u);

  // The slow member neither polls nor acks now; the other takes over once it is stuck.
  // (The other may idle below without being taken for stuck itself.)
  auto other = b->subscribe(group, {topic_}, stuck(10s));
  auto again = drain(*other, 20, true, 10s);
  ASSERT_EQ(again.size(), 20u);
  for (auto& d : again) EXPECT_EQ(d.attempt, 2) << "message " << number(d);

  for (auto& d : held) slow->ack(d);  // too late: these partitions are not its own now
  EXPECT_TRUE(slow->poll(10, 300ms).empty());
  EXPECT_TRUE(other->poll(10, 300ms).empty());
  publish(*b, 100, 8, 8);  // both members are live again: the group still works
  std::set<int> after;
  auto until = std::chrono::steady_clock::now() + 10s;
  while (after.size() < 8 && std::chrono::steady_clock::now() < until)
    for (auto* c : {slow.get(), other.get()})
      for (auto& d : c->poll(8, 50ms)) {
        c->ack(d);
        EXPECT_TRUE(after.insert(number(d)).second) << "message " << number(d) << " twice";
      }
  EXPECT_EQ(after.size(), 8u);
}

TEST_F(SqliteLog, AFileLockedTooLongIsUnavailableWithinTheBusyTimeoutAndRecovers) {
  auto b = make_backend(url_ + "?busy_timeout=300ms");
  auto c = b->subscribe(unique("g"), {topic_}, {});
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "events.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  auto t0 = std::chrono::steady_clock::now();
  try {
    publish(*b, 0, 1, 1);
    ADD_FAILURE() << "published while another process held the write lock";
  } catch (const BrokerError& e) {
    EXPECT_EQ(e.kind(), BrokerError::Kind::unavailable);
    EXPECT_NE(std::string(e.what()).find(url_), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_NO_THROW(b->ping()) << "readers are not blocked by a writer in WAL mode";

  ASSERT_EQ(sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  publish(*b, 1, 1, 1);
  auto got = drain(*c, 1, true);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(number(got[0]), 1);
}

TEST_F(SqliteLog, EachRedeliveryCountsAnAttempt) {
  auto b = make_backend(url_);
  auto c = b->subscribe(unique("g"), {topic_}, {});
  publish(*b, 0, 10, 1);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto got = drain(*c, 1, false);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(number(got[0]), 0);
    EXPECT_EQ(got[0].attempt, attempt);
    EXPECT_EQ(got[0].lag, 9) << "nine more behind it in the partition";
    c->release(got[0]);
  }
  auto rest = drain(*c, 10, true);
  ASSERT_EQ(rest.size(), 10u);
  EXPECT_EQ(rest[0].attempt, 5);
  EXPECT_EQ(rest[1].attempt, 1);
  EXPECT_EQ(rest.back().lag, 0);
}

TEST_F(SqliteLog, RetentionRemovesMessagesOlderThanItsAge) {
  url_ += "?retention=1s";
  auto b = make_backend(url_);
  auto c = b->subscribe(unique("g"), {topic_}, {});  // at the head: would see everything
  publish(*b, 0, 10, 3);
  std::this_thread::sleep_for(1300ms);
  publish(*b, 100, 5, 3);  // publishing runs the periodic retention check
  auto got = drain(*c, 15, true, 5s, /*quiet=*/true);
  std::set<int> numbers;
  for (auto& d : got) numbers.insert(number(d));
  EXPECT_EQ(numbers, (std::set<int>{100, 101, 102, 103, 104}));
}

TEST_F(SqliteLog, RetentionKeepsTheLogUnderMaxBytes) {
  url_ += "?max_bytes=10KiB&partitions=1";
  auto b = make_backend(url_);
  auto c = b->subscribe(unique("g"), {topic_}, {});
  for (int i = 0; i < 100; i += 5) {
    std::vector<OutgoingMessage> batch;
    for (int j = i; j < i + 5; ++j)
      batch.push_back({topic_, "k", payload(j) + std::string(1000, ' ')});
    b->publish(batch);
  }
  auto got = drain(*c, 100, true, 5s, /*quiet=*/true);
  ASSERT_FALSE(got.empty());
  EXPECT_LE(got.size(), 11u) << "about 10 KiB of 1 KiB messages are kept";
  EXPECT_GE(got.size(), 5u);
  EXPECT_EQ(number(got.back()), 99) << "the newest survive";
  for (std::size_t i = 1; i < got.size(); ++i) EXPECT_EQ(number(got[i]), number(got[i - 1]) + 1);
}

TEST_F(SqliteLog, BadUrlOptionsAreConfigurationErrorsNamingTheOption) {
  const std::pair<std::string, std::string> cases[] = {
      {"sqlite:", "path"},
      {"sqlite:?partitions=2", "path"},
      {"sqlite:x.db?partitions=0", "partitions"},
      {"sqlite:x.db?partitions=many", "partitions"},
      {"sqlite:x.db?retention=5x", "retention"},
      {"sqlite:x.db?max_bytes=lots", "max_bytes"},
      {"sqlite:x.db?synchronous=sometimes", "synchronous"},
      {"sqlite:x.db?busy_timeout=0s", "busy_timeout"},
      {"sqlite:x.db?colour=blue", "colour"},
      {"sqlite:x.db?partitions=4&partitions=8", "twice"},
      {"sqlite::memory:", "file"},
  };
  for (const auto& [url, named] : cases) {
    try {
      make_backend(url, dir_.string());
      ADD_FAILURE() << url << " was accepted";
    } catch (const BrokerError& e) {
      EXPECT_EQ(e.kind(), BrokerError::Kind::configuration) << url;
      EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << url << ": " << e.what();
    }
  }
}

TEST_F(SqliteLog, RelativePathsLiveUnderTheDataDirWhichIsCreated) {
  auto b = make_backend(
      "sqlite:nested/dir/events.db?partitions=4&retention=12h&max_bytes=500MB&synchronous=full"
      "&busy_timeout=2s",
      dir_.string());
  b->ping();
  EXPECT_EQ(b->name(), "sqlite");
  EXPECT_TRUE(fs::exists(dir_ / "nested" / "dir" / "events.db"));
}

TEST_F(SqliteLog, AFileThatIsNotASqliteDatabaseIsAClearError) {
  auto path = dir_ / "notes.txt";
  {
    std::ofstream out(path);
    for (int i = 0; i < 200; ++i) out << "these are my notes, not a database\n";
  }
  try {
    make_backend("sqlite:" + path.string());
    FAIL() << "opened a text file as the log";
  } catch (const BrokerError& e) {
    EXPECT_EQ(e.kind(), BrokerError::Kind::configuration);
    EXPECT_NE(std::string(e.what()).find("not a SQLite database"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

// Figures for the docs, not a pass/fail check: run with
//   broker_sqlite_log_test --gtest_also_run_disabled_tests --gtest_filter=*DISABLED_*
TEST_F(SqliteLog, DISABLED_Throughput) {
  const int n = 200'000, batch = 500;
  auto b = make_backend(url_);
  auto c = b->subscribe(unique("g"), {topic_}, {});
  std::string body(200, 'x');
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i += batch) {
    std::vector<OutgoingMessage> msgs;
    for (int j = i; j < i + batch; ++j)
      msgs.push_back({topic_, "k" + std::to_string(j % 1000), payload(j) + body});
    b->publish(msgs);
  }
  auto t1 = std::chrono::steady_clock::now();
  std::size_t got = 0;
  while (got < static_cast<std::size_t>(n)) {
    auto ds = c->poll(256, 1s);
    ASSERT_FALSE(ds.empty());
    for (auto& d : ds) c->ack(d);
    got += ds.size();
  }
  auto t2 = std::chrono::steady_clock::now();
  const int singles = 5000;  // one transaction per message: the cost of not batching
  for (int i = 0; i < singles; ++i) publish(*b, n + i, 1, 1000);
  auto t3 = std::chrono::steady_clock::now();
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf("publish: %d msgs (~%zu B) in batches of %d: %.0f msg/s\n", n,
              payload(0).size() + body.size(), batch, n / secs(t1 - t0));
  std::printf("consume: poll(256) + ack: %.0f msg/s\n", n / secs(t2 - t1));
  std::printf("publish one message per call: %.0f msg/s\n", singles / secs(t3 - t2));
  std::printf("file: %.1f MiB\n", static_cast<double>(fs::file_size(dir_ / "events.db")) / 1048576);
}

// publish -> poll latency across processes at 5,000 events/s (small batches, as an outbox
// relay would send them).
TEST_F(SqliteLog, DISABLED_CrossProcessLatency) {
  const std::string group = unique("g");
  create_group(group);
  const int rate = 5000, seconds = 4, per_batch = 10;
  pid_t publisher = spawn([&] {
    auto b = make_backend(url_);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < rate * seconds; i += per_batch) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000LL / rate));
      publish(*b, i, per_batch, 100);
    }
  });
  auto b = make_backend(url_);
  auto c = b->subscribe(group, {topic_}, {});
  std::vector<double> ms;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds + 5);
  while (ms.size() < static_cast<std::size_t>(rate * seconds) &&
         std::chrono::steady_clock::now() < until) {
    for (auto& d : c->poll(256, 100ms)) {
      c->ack(d);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::system_clock::now() - d.published)
              .count());
    }
  }
  EXPECT_EQ(wait_exit(publisher), 0);
  ASSERT_FALSE(ms.empty());
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[static_cast<std::size_t>(p * (ms.size() - 1))]; };
  std::printf("%zu events at %d/s: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", ms.size(), rate,
              pct(0.5), pct(0.99), ms.back());
}

}  // namespace
}  // namespace mmx::broker
