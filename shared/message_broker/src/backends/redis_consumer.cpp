#include "redis_consumer.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <unordered_map>

namespace mmx::broker::backends {

using Kind = BrokerError::Kind;

std::string redis_stream_key(const std::string& topic) { return "mmx:stream:" + topic; }

namespace {

std::string member_name() {
  static std::atomic<unsigned> counter{0};
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "host") + "-" + std::to_string(getpid()) + "-" +
         std::to_string(++counter);
}

std::string ms(std::chrono::milliseconds d) { return std::to_string(std::max<std::int64_t>(d.count(), 0)); }

bool is_array(const redisReply* r) { return r && r->type == REDIS_REPLY_ARRAY; }

}  // namespace

RedisConsumer::RedisConsumer(const RedisConfig& config, const std::string& group,
                             const std::vector<std::string>& topics, const ConsumerOptions& options)
    : config_(config), group_(group), topics_(topics), options_(options), name_(member_name()) {
  for (const auto& t : topics_) streams_.push_back(redis_stream_key(t));
  claim_cursor_.assign(streams_.size(), "0-0");
  // "$": a new group starts with what is published from now on.
  connect("$");
}

RedisConsumer::~RedisConsumer() {
  // A member that holds nothing leaves the group's member list; one that still holds
  // entries stays, so that other members can claim them after stuck_after (deleting it
  // would drop its pending entries from the group).
  if (!conn_ || conn_->broken()) return;
  try {
    for (const auto& stream : streams_) {
      Reply pending = conn_->command({"XPENDING", stream, group_, "-", "+", "1", name_});
      if (is_array(pending.get()) && pending->elements == 0)
        conn_->command({"XGROUP", "DELCONSUMER", stream, group_, name_});
    }
  } catch (const BrokerError&) {
  }
}

void RedisConsumer::connect(const char* start_id) {
  auto c = std::make_unique<RedisConnection>(config_);
  for (const auto& stream : streams_) {
    Reply r = c->command({"XGROUP", "CREATE", stream, group_, start_id, "MKSTREAM"});
    if (is_error(r.get()) && !text(r.get()).starts_with("BUSYGROUP"))
      throw c->error_for(*r, "creating group '" + group_ + "' on stream '" + stream + "'");
  }
  conn_ = std::move(c);
}

bool RedisConsumer::ensure_connected() {
  if (conn_ && !conn_->broken()) return false;
  conn_.reset();
  gate_.wait();
  try {
    // "0" on a reconnect: if the server lost the group (restart without persistence),
    // what was published since it came back is still delivered.
    connect("0");
    gate_.succeeded();
    return true;
  } catch (const BrokerError&) {
    gate_.failed();
    throw;
  }
}

Reply RedisConsumer::run(Args args, std::string_view what) {
  Reply r = conn_->command(std::move(args));
  if (is_error(r.get())) {
    if (text(r.get()).starts_with("NOGROUP")) conn_->mark_broken();  // reconnect recreates it
    throw conn_->error_for(*r, what);
  }
  return r;
}

std::vector<Delivery> RedisConsumer::poll(std::size_t max, std::chrono::milliseconds wait) {
  std::vector<Delivery> out;
  if (max == 0) return out;
  while (!buffered_.empty() && out.size() < max) {
    out.push_back(std::move(buffered_.front()));
    buffered_.pop_front();
  }
  if (out.size() == max) return out;
  auto deadline = Clock::now() + wait;
  for (int attempt = 0;; ++attempt) {
    try {
      bool fresh = ensure_connected();
      try {
        receive(max, deadline, out);
        return out;
      } catch (const BrokerError& e) {
        // A connection that died since the last call (server restart): one retry on a
        // new one. Otherwise give up for now.
        if (e.kind() != Kind::unavailable || !conn_->broken() || fresh || attempt > 0) throw;
      }
    } catch (const BrokerError&) {
      // What we took is pending for us whatever happened to the connection: hand it out
      // next time rather than leave it to stuck_after.
      buffered_.insert(buffered_.begin(), std::make_move_iterator(out.begin()),
                       std::make_move_iterator(out.end()));
      throw;
    }
  }
}

void RedisConsumer::receive(std::size_t max, Clock::time_point deadline, std::vector<Delivery>& out) {
  conn_->set_timeout(config_.io_timeout);
  // Refresh first: our own XAUTOCLAIM must not find what we hold idle (it would count a
  // delivery that never happened).
  refresh_held();
  take_released(max, out);
  claim_stuck(max, out);
  if (out.size() < max) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    read_new(max, out.empty() ? left : std::chrono::milliseconds(0), out);
  }
}

void RedisConsumer::take(std::size_t stream, const redisReply& entry, int attempt, std::size_t max,
                         std::vector<Delivery>& out) {
  if (!is_array(&entry) || entry.elements < 2) return;
  std::string id(text(entry.element[0]));
  const redisReply* fields = entry.element[1];
  if (!is_array(fields)) {
    // Trimmed (MAXLEN) or deleted while pending: nothing left to deliver.
    conn_->command({"XACK", streams_[stream], group_, id});
    return;
  }
  Delivery d;
  d.topic = topics_[stream];
  d.attempt = attempt;
  d.token = stream;
  d.token_text = id;
  for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
    std::string_view name = text(fields->element[i]), value = text(fields->element[i + 1]);
    if (name == "key") d.key = value;
    else if (name == "payload") d.payload = value;
    else if (name == "ts") {
      std::int64_t t = 0;
      for (char ch : value) t = t * 10 + (ch - '0');
      d.published = std::chrono::system_clock::time_point(std::chrono::milliseconds(t));
    }
  }
  held_[{stream, id}] = Clock::now();
  if (out.size() < max) out.push_back(std::move(d));
  else buffered_.push_back(std::move(d));
}

void RedisConsumer::take_released(std::size_t max, std::vector<Delivery>& out) {
  // XCLAIM to ourselves with min-idle 0 hands them out again and counts the delivery.
  for (std::size_t s = 0; s < streams_.size() && out.size() < max && !released_.empty(); ++s) {
    Args claim{"XCLAIM", streams_[s], group_, name_, "0"};
    std::unordered_map<std::string_view, int> attempts;
    for (const auto& r : released_)
      if (r.stream == s && attempts.size() < max - out.size() && attempts.emplace(r.id, r.attempt + 1).second)
        claim.add(r.id);
    if (attempts.empty()) continue;
    Reply reply = run(claim, "reclaiming released entries of '" + streams_[s] + "'");
    for (std::size_t i = 0; is_array(reply.get()) && i < reply->elements; ++i) {
      const redisReply* e = reply->element[i];
      if (!is_array(e) || e->elements < 2) continue;
      auto it = attempts.find(text(e->element[0]));
      take(s, *e, it == attempts.end() ? 2 : it->second, max, out);
    }
    // Claimed, or gone (trimmed): either way no longer ours to redeliver.
    std::erase_if(released_, [&](const Released& r) { return r.stream == s && attempts.contains(r.id); });
  }
}

void RedisConsumer::claim_stuck(std::size_t max, std::vector<Delivery>& out) {
  auto now = Clock::now();
  if (now < next_claim_) return;
  // A scan per stream every quarter of stuck_after (50ms..5s): a stuck entry waits at most
  // ~1.25 x stuck_after for a new owner, and idle members cost one round trip now and then.
  next_claim_ = now + std::clamp<std::chrono::milliseconds>(options_.stuck_after / 4, std::chrono::milliseconds(50),
                                                            std::chrono::milliseconds(5000));
  const std::string min_idle = ms(options_.stuck_after);
  for (std::size_t s = 0; s < streams_.size() && out.size() < max; ++s) {
    std::string count = std::to_string(max - out.size());
    Reply reply = run({"XAUTOCLAIM", streams_[s], group_, name_, min_idle, claim_cursor_[s], "COUNT", count},
                      "claiming stuck entries of '" + streams_[s] + "'");
    if (!is_array(reply.get()) || reply->elements < 2) continue;
    claim_cursor_[s] = std::string(text(reply->element[0]));
    const redisReply* entries = reply->element[1];
    if (!is_array(entries) || entries->elements == 0) continue;
    // The delivery count is what XPENDING says (the claim just incremented it).
    std::unordered_map<std::string, int> counts;
    auto id_at = [&](std::size_t i) {
      const redisReply* e = entries->element[i];
      return std::string(is_array(e) && e->elements > 0 ? text(e->element[0]) : std::string_view("-"));
    };
    std::string first = id_at(0), last = id_at(entries->elements - 1);
    Reply pending = conn_->command({"XPENDING", streams_[s], group_, first, last,
                                    std::to_string(entries->elements), name_});
    for (std::size_t i = 0; is_array(pending.get()) && i < pending->elements; ++i) {
      const redisReply* p = pending->element[i];
      if (is_array(p) && p->elements >= 4 && p->element[3]->type == REDIS_REPLY_INTEGER)
        counts[std::string(text(p->element[0]))] = static_cast<int>(p->element[3]->integer);
    }
    for (std::size_t i = 0; i < entries->elements; ++i) {
      const redisReply* e = entries->element[i];
      if (!is_array(e) || e->elements < 2) continue;
      std::string id(text(e->element[0]));
      // Ours already (held by the caller, or buffered): the claim only refreshed it.
      if (held_.contains({s, id})) continue;
      std::erase_if(released_, [&](const Released& r) { return r.stream == s && r.id == id; });
      auto it = counts.find(id);
      take(s, *e, it == counts.end() ? 2 : std::max(it->second, 1), max, out);
    }
  }
}

void RedisConsumer::refresh_held() {
  if (held_.empty()) return;
  auto now = Clock::now();
  auto half = options_.stuck_after / 2;
  for (std::size_t s = 0; s < streams_.size(); ++s) {
    // Only ours if still idle that long: an entry another member has meanwhile taken over
    // (we were too slow) was claimed recently and is left alone.
    const std::string min_idle = ms(half);
    Args claim{"XCLAIM", streams_[s], group_, name_, min_idle};
    std::vector<std::map<EntryKey, Clock::time_point>::iterator> due;
    for (auto it = held_.lower_bound({s, ""}); it != held_.end() && it->first.first == s; ++it)
      if (now - it->second >= half) {
        claim.add(it->first.second);
        due.push_back(it);
      }
    if (due.empty()) continue;
    claim.add("JUSTID");  // resets the idle time without counting a delivery
    run(claim, "refreshing held entries of '" + streams_[s] + "'");
    for (auto it : due) it->second = now;
  }
}

void RedisConsumer::read_new(std::size_t max, std::chrono::milliseconds block, std::vector<Delivery>& out) {
  // COUNT applies per stream: with several streams we may get more than `max`; the rest
  // waits in buffered_ (it is pending for us on the server already).
  std::string count = std::to_string(max - out.size()), block_ms = ms(block);
  Args read{"XREADGROUP", "GROUP", group_, name_, "COUNT", count};
  if (block.count() > 0) {
    read.add("BLOCK").add(block_ms);  // BLOCK 0 would wait forever
    conn_->set_timeout(block + config_.io_timeout);
  }
  read.add("STREAMS");
  for (const auto& stream : streams_) read.add(stream);
  for (std::size_t i = 0; i < streams_.size(); ++i) read.add(">");
  Reply reply = run(read, "reading group '" + group_ + "'");
  conn_->set_timeout(config_.io_timeout);
  if (!is_array(reply.get())) return;  // nil: nothing within the wait
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t s = 0; s < streams_.size(); ++s) index.emplace(streams_[s], s);
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const redisReply* per_stream = reply->element[i];
    if (!is_array(per_stream) || per_stream->elements < 2) continue;
    auto it = index.find(text(per_stream->element[0]));
    const redisReply* entries = per_stream->element[1];
    if (it == index.end() || !is_array(entries)) continue;
    for (std::size_t j = 0; j < entries->elements; ++j) take(it->second, *entries->element[j], 1, max, out);
  }
}

const std::string& RedisConsumer::key_of(const Delivery& d) const {
  if (d.token >= streams_.size() || d.token_text.empty())
    throw BrokerError(Kind::configuration, "Redis at " + config_.redacted_url +
                                               ": not a delivery of this consumer");
  return streams_[d.token];
}

void RedisConsumer::ack(const Delivery& d) {
  const std::string& stream = key_of(d);
  held_.erase({d.token, d.token_text});
  // Entry ids do not depend on the connection: an ack after a reconnect still counts.
  for (int attempt = 0;; ++attempt) {
    bool fresh = ensure_connected();
    try {
      run({"XACK", stream, group_, d.token_text}, "acknowledging on '" + stream + "'");
      return;
    } catch (const BrokerError& e) {
      if (e.kind() != Kind::unavailable || !conn_->broken() || fresh || attempt > 0) throw;
    }
  }
}

void RedisConsumer::release(const Delivery& d) {
  key_of(d);
  held_.erase({d.token, d.token_text});
  // It stays in our pending list on the server; the next poll claims it back.
  released_.push_back({d.token, d.token_text, d.attempt});
}

}  // namespace mmx::broker::backends
