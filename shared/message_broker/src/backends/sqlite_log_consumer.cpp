// Consumer groups on the SQLite log, Kafka-style: the members of a group share each topic's
// partitions, one owner per partition (which gives per-key order). Members heartbeat in the
// file; each takes its fair share of partitions and gives up what is above it; a member
// that stops heartbeating for stuck_after is expired by the others, which resume its
// partitions from the committed offset (redelivering what it never acknowledged).
#include "sqlite_log_consumer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>

namespace mmx::broker::backends::sqlite_log {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = BrokerError::Kind;

constexpr auto commit_every = 50ms;  // acks are written at most this late (or at next poll)
constexpr auto first_idle_check = 2ms;
constexpr auto last_idle_check = 20ms;
// If the clock jumped back, heartbeats from before the jump look this far in the future:
// expire such members (a live one simply joins again).
constexpr std::int64_t clock_skew_us = 60'000'000;

// Delivery::token: the partition above the offset.
constexpr int offset_bits = 54;
constexpr std::uint64_t offset_mask = (std::uint64_t{1} << offset_bits) - 1;

std::int64_t to_us(std::chrono::milliseconds d) { return d.count() * 1000; }

const std::string& host_name() {
  static const std::string name = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return std::string("unknown");
    return std::string(buf);
  }();
  return name;
}

// "<host>:<pid>-<random>": the host and pid let members on the same host notice at once
// that a member's process is gone (SIGKILL, crash) instead of waiting for stuck_after.
std::string new_member_id() {
  std::random_device rd;
  std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%d-%016llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(r));
  return host_name() + ":" + buf;
}

// True only when the member ran on this host and its process no longer exists. Another
// host (or a container with its own hostname) is never judged this way: its pids are not
// ours to check; its heartbeat expiry covers it.
bool process_gone(const std::string& member) {
  auto colon = member.rfind(':');
  if (colon == std::string::npos || member.compare(0, colon, host_name()) != 0) return false;
  int pid = std::atoi(member.c_str() + colon + 1);
  if (pid <= 0 || pid == ::getpid()) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

struct InFlight {
  std::int64_t offset;
  bool acked;
};

// A partition this member owns.
struct Owned {
  std::int64_t next_fetch = 0;    // next offset to read
  std::int64_t committed = 0;     // as written to the file
  std::int64_t delivered_hw = 0;  // one past the highest offset ever delivered to the group
  std::int64_t head = 0;          // the partition's next_offset when last looked at
  std::deque<InFlight> inflight;  // delivered and not yet acknowledged, in offset order
  bool revoking = false;          // above our share: no more fetching, hand over when acked
  Clock::time_point revoking_since{};
  bool redelivered = false;  // broker_redeliveries may hold rows to clean up at commit

  // Everything below this was acknowledged (acks come in delivery order).
  std::int64_t commit_target() const {
    return inflight.empty() ? next_fetch : inflight.front().offset;
  }
  bool has_backlog() const { return !revoking && head > next_fetch; }
};

using PartKey = std::pair<std::size_t, int>;  // (index in topics_, partition)

class SqliteLogConsumer final : public Consumer {
 public:
  SqliteLogConsumer(const Options& options, std::shared_ptr<Notifier> notifier, std::string group,
                    const std::vector<std::string>& topics, const ConsumerOptions& copts)
      : options_(options),
        notifier_(std::move(notifier)),
        group_(std::move(group)),
        copts_(copts),
        member_id_(new_member_id()),
        heartbeat_every_(std::clamp<std::chrono::milliseconds>(copts.stuck_after / 4, 10ms, 2s)) {
    if (group_.empty())
      throw BrokerError(Kind::configuration, "broker " + options_.label + ": empty group name");
    if (topics.empty())
      throw BrokerError(Kind::configuration,
                        "broker " + options_.label + ": no topics for group '" + group_ + "'");
    if (copts_.stuck_after <= 0ms)
      throw BrokerError(Kind::configuration,
                        "broker " + options_.label + ": stuck_after must be positive");
    std::set<std::string> unique(topics.begin(), topics.end());
    for (const auto& t : unique) {
      if (t.empty())
        throw BrokerError(Kind::configuration, "broker " + options_.label + ": empty topic name");
      topic_names_.push_back(t);
    }
    join();
  }

  ~SqliteLogConsumer() override { leave(); }

  std::vector<Delivery> poll(std::size_t max, std::chrono::milliseconds wait) override {
    if (max == 0) max = std::max<std::size_t>(copts_.batch, 1);
    auto deadline = Clock::now() + wait;
    Clock::duration idle = first_idle_check;
    std::vector<Delivery> out;
    try {
      for (;;) {
        // Taken before looking at the file, so a publish after the look still wakes us.
        auto seen = notifier_->generation();
        auto& d = db();
        if (!dirty_ && d.data_version() != last_data_version_) dirty_ = true;
        if (need_rebalance_ || Clock::now() >= next_heartbeat_) rebalance();
        if (dirty_) {
          fetch(max, out);
          if (!out.empty()) return out;
        }
        auto now = Clock::now();
        if (now - last_flush_ >= commit_every && has_pending_commits()) flush();
        if (now >= deadline) return out;
        if (need_rebalance_) continue;  // the group changed under us: settle it first
        auto until = std::min({deadline, now + idle, next_heartbeat_});
        if (notifier_->wait(seen, until - now)) {
          dirty_ = true;
          idle = first_idle_check;
        } else {
          idle = std::min<Clock::duration>(idle * 3 / 2, last_idle_check);
        }
      }
    } catch (const BrokerError&) {
      if (db_ && !db_->healthy()) drop_connection();
      throw;
    }
  }

  void ack(const Delivery& d) override {
    auto* o = find(d);
    if (!o) return;  // the partition moved to another member meanwhile: it will redeliver
    auto off = static_cast<std::int64_t>(d.token & offset_mask);
    auto it = std::lower_bound(o->inflight.begin(), o->inflight.end(), off,
                               [](const InFlight& f, std::int64_t v) { return f.offset < v; });
    if (it != o->inflight.end() && it->offset == off) it->acked = true;
    while (!o->inflight.empty() && o->inflight.front().acked) o->inflight.pop_front();
    if (o->revoking && o->inflight.empty()) need_rebalance_ = true;  // hand it over now
    // A handler busy between polls still heartbeats and commits through its acks.
    auto now = Clock::now();
    if (now >= next_heartbeat_ || now - last_flush_ >= commit_every) {
      try {
        if (now >= next_heartbeat_)
          rebalance();
        else
          flush();
      } catch (const BrokerError&) {
        // Retried at the next poll, which reports the failure; at worst it redelivers.
        if (db_ && !db_->healthy()) drop_connection();
      }
    }
  }

  void release(const Delivery& d) override {
    auto* o = find(d);
    if (!o) return;
    auto off = static_cast<std::int64_t>(d.token & offset_mask);
    // Rewind: this delivery and any after it in the partition come again, in order.
    while (!o->inflight.empty() && o->inflight.back().offset >= off) o->inflight.pop_back();
    o->next_fetch = std::min(o->next_fetch, off);
    dirty_ = true;
    try {
      flush();
    } catch (const BrokerError&) {
      if (db_ && !db_->healthy()) drop_connection();
    }
  }

 private:
  Db& db() {
    if (!db_) {
      db_ = open_log(options_);
      last_data_version_ = -1;
      dirty_ = true;
    }
    return *db_;
  }

  void drop_connection() {
    db_.reset();
    need_rebalance_ = true;
  }

  Owned* find(const Delivery& d) {
    for (std::size_t i = 0; i < topic_names_.size(); ++i) {
      if (topic_names_[i] != d.topic) continue;
      auto it = owned_.find({i, static_cast<int>(d.token >> offset_bits)});
      return it == owned_.end() ? nullptr : &it->second;
    }
    return nullptr;
  }

  bool has_pending_commits() const {
    for (const auto& [k, o] : owned_)
      if (o.commit_target() > o.committed) return true;
    return false;
  }

  // Creates the group at the head of each topic (if new) and registers this member.
  void join() {
    auto& d = db();
    Transaction tx(d, Transaction::Mode::write);
    auto now = now_us();
    for (const auto& name : topic_names_) {
      auto t = ensure_topic(d, name, options_.partitions);
      topics_.push_back(t);
      d.prepare(
           "INSERT OR IGNORE INTO broker_offsets(group_name, topic_id, part, committed, "
           "delivered, owner) SELECT ?1, topic_id, part, next_offset, next_offset, NULL "
           "FROM broker_partitions WHERE topic_id = ?2")
          .bind(1, group_)
          .bind(2, t.id)
          .run();
      d.prepare(
           "INSERT OR REPLACE INTO broker_members(group_name, topic_id, member_id, joined_at, "
           "heartbeat_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?4, ?5)")
          .bind(1, group_)
          .bind(2, t.id)
          .bind(3, member_id_)
          .bind(4, now)
          .bind(5, now + to_us(copts_.stuck_after))
          .run();
    }
    d.prepare(
         "INSERT INTO broker_groups(group_name, generation, created_at) VALUES(?1, 1, ?2) "
         "ON CONFLICT(group_name) DO UPDATE SET generation = generation + 1")
        .bind(1, group_)
        .bind(2, now)
        .run();
    tx.commit();
    notifier_->notify();
  }

  // Leaves the group: commits what was acknowledged, frees its partitions for the others.
  void leave() noexcept {
    try {
      auto& d = db();
      Transaction tx(d, Transaction::Mode::write);
      std::vector<std::function<void()>> after;
      commit_in(d, after);
      d.prepare("UPDATE broker_offsets SET owner = NULL WHERE group_name = ? AND owner = ?")
          .bind(1, group_)
          .bind(2, member_id_)
          .run();
      d.prepare("DELETE FROM broker_members WHERE group_name = ? AND member_id = ?")
          .bind(1, group_)
          .bind(2, member_id_)
          .run();
      bump_generation(d);
      tx.commit();
      notifier_->notify();
    } catch (...) {
      // The others take over once our heartbeat expires; unacknowledged work is redelivered.
    }
  }

  void bump_generation(Db& d) {
    d.prepare("UPDATE broker_groups SET generation = generation + 1 WHERE group_name = ?")
        .bind(1, group_)
        .run();
  }

  // Inside a write transaction: writes each owned partition's acknowledged prefix. Local
  // state changes go to `after`, run once the transaction commits.
  void commit_in(Db& d, std::vector<std::function<void()>>& after) {
    for (auto& [key, o] : owned_) {
      auto target = o.commit_target();
      if (target <= o.committed) continue;
      const auto& t = topics_[key.first];
      d.prepare(
           "UPDATE broker_offsets SET committed = max(committed, ?1) WHERE group_name = ?2 "
           "AND topic_id = ?3 AND part = ?4 AND owner = ?5")
          .bind(1, target)
          .bind(2, group_)
          .bind(3, t.id)
          .bind(4, std::int64_t{key.second})
          .bind(5, member_id_)
          .run();
      if (d.changes() == 0) {  // expired while we were away: the new owner redelivers
        after.push_back([this, k = key] { lose(k); });
        continue;
      }
      if (o.redelivered) delete_redeliveries(d, t.id, key.second, target);
      after.push_back([this, k = key, target] {
        if (auto it = owned_.find(k); it != owned_.end()) it->second.committed = target;
      });
    }
  }

  void delete_redeliveries(Db& d, std::int64_t topic_id, int part, std::int64_t below) {
    d.prepare(
         "DELETE FROM broker_redeliveries WHERE group_name = ? AND topic_id = ? AND part = ? "
         "AND off < ?")
        .bind(1, group_)
        .bind(2, topic_id)
        .bind(3, std::int64_t{part})
        .bind(4, below)
        .run();
  }

  void lose(const PartKey& key) {
    owned_.erase(key);
    need_rebalance_ = true;
  }

  void flush() {
    auto now = Clock::now();
    if (has_pending_commits()) {
      auto& d = db();
      Transaction tx(d, Transaction::Mode::write);
      std::vector<std::function<void()>> after;
      commit_in(d, after);
      tx.commit();
      for (auto& f : after) f();
    }
    last_flush_ = now;
  }

  // Heartbeat, expire dead members, then take or give up partitions until this member
  // owns its fair share of each topic; commits acknowledged offsets on the way.
  void rebalance() {
    auto& d = db();
    auto steady_now = Clock::now();
    auto now = now_us();
    auto stuck = to_us(copts_.stuck_after);
    bool changed = false;
    std::vector<std::function<void()>> after;
    Transaction tx(d, Transaction::Mode::write);

    for (const auto& t : topics_) {
      d.prepare(
           "UPDATE broker_members SET heartbeat_at = ?1, expires_at = ?2 WHERE group_name = ?3 "
           "AND topic_id = ?4 AND member_id = ?5")
          .bind(1, now)
          .bind(2, now + stuck)
          .bind(3, group_)
          .bind(4, t.id)
          .bind(5, member_id_)
          .run();
      if (d.changes() == 0) {  // expired by the others (we were away too long): join again
        d.prepare(
             "INSERT INTO broker_members(group_name, topic_id, member_id, joined_at, "
             "heartbeat_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?4, ?5)")
            .bind(1, group_)
            .bind(2, t.id)
            .bind(3, member_id_)
            .bind(4, now)
            .bind(5, now + stuck)
            .run();
        changed = true;
      }
    }

    std::vector<std::string> dead;
    {
      auto s = d.prepare(
          "SELECT DISTINCT member_id FROM broker_members WHERE group_name = ?1 "
          "AND (expires_at < ?2 OR heartbeat_at > ?3)");
      s.bind(1, group_).bind(2, now).bind(3, now + clock_skew_us);
      while (s.step())
        if (auto m = s.text(0); m != member_id_) dead.push_back(std::move(m));
    }
    {
      auto s = d.prepare("SELECT DISTINCT member_id FROM broker_members WHERE group_name = ?1");
      s.bind(1, group_);
      while (s.step())
        if (auto m = s.text(0); m != member_id_ && process_gone(m) &&
                                std::find(dead.begin(), dead.end(), m) == dead.end())
          dead.push_back(std::move(m));
    }
    for (const auto& m : dead) {
      d.prepare("DELETE FROM broker_members WHERE group_name = ? AND member_id = ?")
          .bind(1, group_)
          .bind(2, m)
          .run();
      d.prepare("UPDATE broker_offsets SET owner = NULL WHERE group_name = ? AND owner = ?")
          .bind(1, group_)
          .bind(2, m)
          .run();
      changed = true;
    }

    for (std::size_t ti = 0; ti < topics_.size(); ++ti)
      changed |= balance_topic(d, ti, steady_now, after);

    commit_in(d, after);
    if (changed) bump_generation(d);
    std::int64_t generation = 0;
    {
      auto s = d.prepare("SELECT generation FROM broker_groups WHERE group_name = ?");
      if (s.bind(1, group_).step()) generation = s.int64(0);
    }
    tx.commit();
    for (auto& f : after) f();
    known_generation_ = generation;
    need_rebalance_ = false;
    next_heartbeat_ = steady_now + heartbeat_every_;
    last_flush_ = steady_now;
    dirty_ = true;  // partitions may have been taken: look at them
    if (changed) notifier_->notify();
  }

  // One topic's share: returns true when ownership changed (the others should look again).
  bool balance_topic(Db& d, std::size_t ti, Clock::time_point steady_now,
                     std::vector<std::function<void()>>& after) {
    const auto& t = topics_[ti];
    std::vector<std::string> members;
    {
      auto s = d.prepare(
          "SELECT member_id FROM broker_members WHERE group_name = ? AND topic_id = ? "
          "ORDER BY joined_at, member_id");
      s.bind(1, group_).bind(2, t.id);
      while (s.step()) members.push_back(s.text(0));
    }
    auto me = std::find(members.begin(), members.end(), member_id_) - members.begin();
    auto m = static_cast<int>(members.size());
    // The longest-standing members take the remainder: joining does not reshuffle them.
    int quota = t.partitions / m + (me < t.partitions % m ? 1 : 0);

    struct Row {
      int part;
      std::optional<std::string> owner;
      std::int64_t committed, delivered;
    };
    std::vector<Row> rows;
    {
      auto s = d.prepare(
          "SELECT part, owner, committed, delivered FROM broker_offsets WHERE group_name = ? "
          "AND topic_id = ? ORDER BY part");
      s.bind(1, group_).bind(2, t.id);
      while (s.step()) {
        Row r{static_cast<int>(s.int64(0)), std::nullopt, s.int64(2), s.int64(3)};
        if (!s.is_null(1)) r.owner = s.text(1);
        rows.push_back(std::move(r));
      }
    }

    bool changed = false;
    std::vector<int> mine;
    for (const auto& r : rows) {
      PartKey key{ti, r.part};
      bool held = owned_.contains(key);
      if (r.owner == member_id_) {
        mine.push_back(r.part);
        if (!held) after.push_back([this, key, r] { adopt(key, r.committed, r.delivered); });
      } else if (held) {
        after.push_back([this, key] { lose(key); });  // taken over while we were away
      }
    }

    int excess = static_cast<int>(mine.size()) - quota;
    if (excess > 0) {
      // Hand over idle partitions first, the highest numbers first.
      std::stable_sort(mine.begin(), mine.end(), [&](int a, int b) {
        auto busy = [&](int p) {
          auto it = owned_.find({ti, p});
          return it != owned_.end() && !it->second.inflight.empty();
        };
        return std::pair{busy(a), -a} < std::pair{busy(b), -b};
      });
      for (int p : mine) {
        PartKey key{ti, p};
        auto it = owned_.find(key);
        if (excess == 0) {
          if (it != owned_.end()) it->second.revoking = false;
          continue;
        }
        --excess;
        if (it == owned_.end()) {  // ours in the file but not adopted: just let go
          release_partition(d, t.id, p, std::nullopt);
          changed = true;
          continue;
        }
        auto& o = it->second;
        bool gave_up_waiting = o.revoking && steady_now - o.revoking_since >= copts_.stuck_after;
        if (o.inflight.empty() || gave_up_waiting) {
          auto target = o.commit_target();
          release_partition(d, t.id, p, target);
          if (o.redelivered) delete_redeliveries(d, t.id, p, target);
          after.push_back([this, key] { owned_.erase(key); });
          changed = true;
        } else if (!o.revoking) {
          o.revoking = true;  // stop fetching; let go once its deliveries are acknowledged
          o.revoking_since = steady_now;
        }
      }
      return changed;
    }

    for (int p : mine)
      if (auto it = owned_.find({ti, p}); it != owned_.end()) it->second.revoking = false;
    int want = -excess;
    std::set<std::string> live(members.begin(), members.end());
    for (const auto& r : rows) {
      if (want == 0) break;
      if (r.owner && (*r.owner == member_id_ || live.contains(*r.owner))) continue;
      d.prepare(
           "UPDATE broker_offsets SET owner = ?1 WHERE group_name = ?2 AND topic_id = ?3 "
           "AND part = ?4")
          .bind(1, member_id_)
          .bind(2, group_)
          .bind(3, t.id)
          .bind(4, std::int64_t{r.part})
          .run();
      PartKey key{ti, r.part};
      after.push_back([this, key, r] { adopt(key, r.committed, r.delivered); });
      changed = true;
      --want;
    }
    return changed;
  }

  void release_partition(Db& d, std::int64_t topic_id, int part,
                         std::optional<std::int64_t> commit) {
    d.prepare(
         "UPDATE broker_offsets SET committed = max(committed, ?1), owner = NULL WHERE group_name "
         "= ?2 AND topic_id = ?3 AND part = ?4 AND owner = ?5")
        .bind(1, commit.value_or(-1))
        .bind(2, group_)
        .bind(3, topic_id)
        .bind(4, std::int64_t{part})
        .bind(5, member_id_)
        .run();
  }

  void adopt(const PartKey& key, std::int64_t committed, std::int64_t delivered) {
    Owned o;
    o.next_fetch = committed;
    o.committed = committed;
    o.delivered_hw = delivered;
    o.head = committed;
    o.redelivered = delivered > committed;
    owned_.insert_or_assign(key, std::move(o));
  }

  struct Fetched {
    PartKey key;
    std::vector<std::pair<std::int64_t, Delivery>> rows;  // (offset, delivery)
    bool exhausted = false;
  };

  // Reads what is new in the owned partitions (a read snapshot, no lock), then records the
  // deliveries (delivered high-water, redelivery counts) in one short write transaction.
  void fetch(std::size_t max, std::vector<Delivery>& out) {
    auto& d = db();
    last_data_version_ = d.data_version();
    std::vector<Fetched> got;
    {
      Transaction rtx(d, Transaction::Mode::read);
      {
        auto s = d.prepare("SELECT generation FROM broker_groups WHERE group_name = ?");
        if (s.bind(1, group_).step() && s.int64(0) != known_generation_) need_rebalance_ = true;
      }
      if (need_rebalance_) return;  // settle the group first (rtx rolls back: read only)
      for (std::size_t ti = 0; ti < topics_.size(); ++ti) {
        auto s = d.prepare("SELECT part, next_offset FROM broker_partitions WHERE topic_id = ?");
        s.bind(1, topics_[ti].id);
        while (s.step())
          if (auto it = owned_.find({ti, static_cast<int>(s.int64(0))}); it != owned_.end())
            it->second.head = s.int64(1);
      }
      for (auto& [key, o] : owned_)
        if (o.has_backlog()) got.push_back({key, {}, false});
      if (got.empty()) {
        dirty_ = false;
        return;
      }
      // Fair across partitions: an even share each first, then what is left in turn,
      // starting from a different partition each time.
      std::rotate(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(rr_++ % got.size()),
                  got.end());
      std::size_t remaining = max;
      std::size_t share = std::max<std::size_t>(1, max / got.size());
      for (int pass = 0; pass < 2 && remaining > 0; ++pass) {
        for (auto& g : got) {
          if (remaining == 0) break;
          if (g.exhausted) continue;
          auto limit = std::min(pass == 0 ? share : remaining, remaining);
          auto n = read_partition(d, g, limit);
          remaining -= n;
          if (n < limit) g.exhausted = true;
        }
      }
    }
    std::erase_if(got, [](const Fetched& g) { return g.rows.empty(); });
    if (got.empty()) {  // offsets moved under us (retention): nothing after all
      dirty_ = false;
      return;
    }
    record_deliveries(d, got);
    bool backlog = false;
    for (auto& g : got) {
      auto it = owned_.find(g.key);
      if (it == owned_.end()) continue;  // lost while fetching
      auto& o = it->second;
      for (auto& [off, delivery] : g.rows) {
        o.inflight.push_back({off, false});
        delivery.lag = std::max<std::int64_t>(0, o.head - off - 1);
        out.push_back(std::move(delivery));
      }
      o.next_fetch = g.rows.back().first + 1;
      o.delivered_hw = std::max(o.delivered_hw, o.next_fetch);
    }
    for (auto& [key, o] : owned_) backlog |= o.has_backlog();
    dirty_ = backlog;
  }

  std::size_t read_partition(Db& d, Fetched& g, std::size_t limit) {
    auto& o = owned_.at(g.key);
    std::int64_t from = g.rows.empty() ? o.next_fetch : g.rows.back().first + 1;
    auto s = d.prepare(
        "SELECT off, key, payload, published_at FROM broker_messages WHERE topic_id = ? "
        "AND part = ? AND off >= ? ORDER BY off LIMIT ?");
    s.bind(1, topics_[g.key.first].id)
        .bind(2, std::int64_t{g.key.second})
        .bind(3, from)
        .bind(4, static_cast<std::int64_t>(limit));
    std::size_t n = 0;
    while (s.step()) {
      Delivery del;
      auto off = s.int64(0);
      del.topic = topic_names_[g.key.first];
      del.key = s.text(1);
      del.payload = s.text(2);
      del.published = std::chrono::system_clock::time_point(std::chrono::microseconds(s.int64(3)));
      del.token = (static_cast<std::uint64_t>(g.key.second) << offset_bits) |
                  static_cast<std::uint64_t>(off);
      g.rows.emplace_back(off, std::move(del));
      ++n;
    }
    return n;
  }

  // Marks the fetched offsets delivered (so a later owner can tell a redelivery) and counts
  // redeliveries; drops what came from a partition this member no longer owns.
  void record_deliveries(Db& d, std::vector<Fetched>& got) {
    std::vector<std::function<void()>> after;
    std::vector<PartKey> lost;
    Transaction tx(d, Transaction::Mode::write);
    commit_in(d, after);
    for (auto& g : got) {
      const auto& o = owned_.at(g.key);
      const auto& t = topics_[g.key.first];
      d.prepare(
           "UPDATE broker_offsets SET delivered = max(delivered, ?1) WHERE group_name = ?2 "
           "AND topic_id = ?3 AND part = ?4 AND owner = ?5")
          .bind(1, g.rows.back().first + 1)
          .bind(2, group_)
          .bind(3, t.id)
          .bind(4, std::int64_t{g.key.second})
          .bind(5, member_id_)
          .run();
      if (d.changes() == 0) {
        lost.push_back(g.key);
        g.rows.clear();
        continue;
      }
      for (auto& [off, delivery] : g.rows) {
        if (off >= o.delivered_hw) break;
        auto s = d.prepare(
            "INSERT INTO broker_redeliveries(group_name, topic_id, part, off, deliveries) "
            "VALUES(?1, ?2, ?3, ?4, 1) ON CONFLICT DO UPDATE SET deliveries = deliveries + 1 "
            "RETURNING deliveries");
        s.bind(1, group_).bind(2, t.id).bind(3, std::int64_t{g.key.second}).bind(4, off);
        delivery.attempt = s.step() ? static_cast<int>(s.int64(0)) + 1 : 2;
        after.push_back([this, k = g.key] {
          if (auto it = owned_.find(k); it != owned_.end()) it->second.redelivered = true;
        });
      }
    }
    tx.commit();
    for (auto& f : after) f();
    for (const auto& k : lost) lose(k);
    std::erase_if(got, [](const Fetched& g) { return g.rows.empty(); });
  }

  Options options_;
  std::shared_ptr<Notifier> notifier_;
  std::string group_;
  ConsumerOptions copts_;
  std::string member_id_;
  std::chrono::milliseconds heartbeat_every_;
  std::vector<std::string> topic_names_;
  std::vector<Topic> topics_;  // parallel to topic_names_
  std::unique_ptr<Db> db_;
  std::map<PartKey, Owned> owned_;
  std::int64_t known_generation_ = -1;
  std::int64_t last_data_version_ = -1;
  bool dirty_ = true;           // the file may hold something new for us
  bool need_rebalance_ = true;  // the group changed (or we just joined)
  Clock::time_point next_heartbeat_{};
  Clock::time_point last_flush_{};
  std::size_t rr_ = 0;
};

}  // namespace

std::unique_ptr<Consumer> make_consumer(const Options& options, std::shared_ptr<Notifier> notifier,
                                        const std::string& group,
                                        const std::vector<std::string>& topics,
                                        const ConsumerOptions& consumer_options) {
  return std::make_unique<SqliteLogConsumer>(options, std::move(notifier), group, topics,
                                             consumer_options);
}

}  // namespace mmx::broker::backends::sqlite_log
