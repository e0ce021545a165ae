// The token primitives of shared/auth, for bench/auth.sh (which prints the tables).
//
//   verify         TokenVerifier::verify: a full RS256 verification (split, base64url, JSON,
//                  RSA-2048 signature, claims, Principal), never cached, round-robin over
//                  distinct tokens;
//   verify_cached  TokenVerifier::verify_cached on tokens already in the VerifiedTokenCache:
//                  SHA-256 of the token, a shard lookup, a shared_ptr copy;
//   sign_jwt       what the issuer pays per access token (RSA-2048 private-key operation);
//   argon2id       auth::verify_password with the default (OWASP) parameters, the bulk of a
//                  password grant.
// Each case runs on 1..T threads (one TokenVerifier shared by all, as io threads share it),
// for --duration-ms after --warmup-ms, --rounds times; the median round is reported.
//
// It also writes, for the PyJWT baseline (bench/auth_pyjwt.py), the tokens it verifies
// (one per line) and the JWKS that verifies them into --out-dir.
//
// Output, one line per measurement:  R|case|threads|ops_per_s|us_per_op|rounds(ops/s,...)
// and for Argon2id:                  A|runs|p50_ms|min_ms|max_ms
#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mmx/auth/jwks.hpp"
#include "mmx/auth/jwt.hpp"
#include "mmx/auth/keys.hpp"
#include "mmx/auth/password.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/auth/verifier.hpp"

namespace {

namespace json = boost::json;
using namespace mmx;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::size_t tokens = 1000;
  long duration_ms = 1500;
  long warmup_ms = 300;
  int rounds = 3;
  std::vector<int> threads{1};
  int argon2_runs = 8;
  std::string out_dir;
  std::string issuer = "http://127.0.0.1:8000";
  std::string audience = "micromax";
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "auth_bench: %s\n"
               "usage: auth_bench --out-dir DIR [--tokens N] [--duration-ms MS] [--warmup-ms MS]\n"
               "                  [--rounds N] [--threads 1,2] [--argon2-runs N]\n"
               "                  [--issuer URL] [--audience AUD]\n",
               why);
  std::exit(2);
}

long to_long(const char* s) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (!end || *end || v < 0) usage("a number was expected");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("a flag lacks its value");
      return argv[++i];
    };
    if (a == "--tokens") {
      o.tokens = static_cast<std::size_t>(to_long(value()));
    } else if (a == "--duration-ms") {
      o.duration_ms = to_long(value());
    } else if (a == "--warmup-ms") {
      o.warmup_ms = to_long(value());
    } else if (a == "--rounds") {
      o.rounds = static_cast<int>(to_long(value()));
    } else if (a == "--argon2-runs") {
      o.argon2_runs = static_cast<int>(to_long(value()));
    } else if (a == "--out-dir") {
      o.out_dir = value();
    } else if (a == "--issuer") {
      o.issuer = value();
    } else if (a == "--audience") {
      o.audience = value();
    } else if (a == "--threads") {
      o.threads.clear();
      std::string_view list = value();
      while (!list.empty()) {
        auto comma = list.find(',');
        std::string one(list.substr(0, comma));
        o.threads.push_back(static_cast<int>(to_long(one.c_str())));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else {
      usage("unknown flag");
    }
  }
  if (o.out_dir.empty()) usage("--out-dir is required");
  if (o.tokens == 0 || o.rounds < 1 || o.threads.empty()) usage("nothing to measure");
  for (int t : o.threads) {
    if (t < 1) usage("--threads: at least 1");
  }
  return o;
}

// An access token shaped like those the auth service mints for a signed-in customer
// (microservices/auth/src/issuer.cpp): same claims, same sizes.
json::object claims_for(const Options& o, std::size_t i, std::int64_t now) {
  json::object c;
  c["iss"] = o.issuer;
  c["sub"] = "usr_" + auth::random_token(12);
  c["aud"] = o.audience;
  c["iat"] = now;
  c["nbf"] = now;
  c["exp"] = now + 900;
  c["jti"] = auth::random_token(16);
  c["scope"] = "openid profile email catalog:read orders:read orders:write";
  c["roles"] = json::array{"customer"};
  c["email"] = "user" + std::to_string(i) + "@example.com";
  c["name"] = "Bench User " + std::to_string(i);
  c["sid"] = auth::random_token(16);
  return c;
}

// Runs `op(thread, i)` on `threads` threads for `ms`; returns operations per second.
double run_for(int threads, long ms, const std::function<void(int, std::size_t)>& op) {
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::vector<std::size_t> counts(static_cast<std::size_t>(threads), 0);
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      std::size_t n = 0;
      try {
        // Threads start at different tokens so they do not walk the same cache shard.
        std::size_t i = static_cast<std::size_t>(t) * 7919;
        while (!stop.load(std::memory_order_relaxed)) {
          for (int k = 0; k < 16; ++k) op(t, i++);
          n += 16;
        }
      } catch (...) {
        errors[static_cast<std::size_t>(t)] = std::current_exception();
      }
      counts[static_cast<std::size_t>(t)] = n;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const auto t0 = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  stop.store(true);
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  std::size_t total = 0;
  for (auto n : counts) total += n;
  return static_cast<double>(total) / secs;
}

void measure(const Options& o, const char* name, const std::function<void(int, std::size_t)>& op) {
  for (int threads : o.threads) {
    if (o.warmup_ms > 0) run_for(threads, o.warmup_ms, op);
    std::vector<double> rounds;
    for (int r = 0; r < o.rounds; ++r) rounds.push_back(run_for(threads, o.duration_ms, op));
    std::vector<double> sorted = rounds;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    std::string all;
    for (double v : rounds) all += (all.empty() ? "" : ",") + std::to_string(static_cast<long>(v));
    std::printf("R|%s|%d|%.0f|%.3f|%s\n", name, threads, median, 1e6 * threads / median,
                all.c_str());
    std::fflush(stdout);
  }
}

int run(const Options& o) {
  auto key = auth::SigningKey::generate("bench-key-1");
  const auth::KeySet keys = auth::KeySet::from_keys({{key.kid(), key.public_key()}});

  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::vector<std::string> tokens;
  tokens.reserve(o.tokens);
  for (std::size_t i = 0; i < o.tokens; ++i)
    tokens.push_back(auth::sign_jwt(claims_for(o, i, now), key));

  {
    std::ofstream f(o.out_dir + "/tokens.txt");
    for (const auto& t : tokens) f << t << '\n';
    std::ofstream j(o.out_dir + "/jwks.json");
    j << json::serialize(json::object{{"keys", json::array{key.public_jwk()}}}) << '\n';
    if (!f || !j) throw std::runtime_error("cannot write into " + o.out_dir);
  }
  std::printf("T|%zu|%zu\n", tokens.size(), tokens.front().size());

  auth::VerifierOptions vo;
  vo.issuer = o.issuer;
  vo.audiences = {o.audience};
  vo.cache_entries = 0;
  const auth::TokenVerifier uncached(vo);
  // A token that does not verify would make the numbers meaningless: check them all once.
  for (const auto& t : tokens) uncached.verify(t, keys);
  measure(o, "verify", [&](int, std::size_t i) {
    auto p = uncached.verify(tokens[i % tokens.size()], keys);
    if (p.subject.empty()) throw std::logic_error("no subject");
  });

  vo.cache_entries = std::max<std::size_t>(10000, 2 * tokens.size());
  const auth::TokenVerifier cached(vo);
  for (const auto& t : tokens) cached.verify_cached(t, keys);  // every token now a hit
  const std::uint64_t full_before = cached.verifications();
  measure(o, "verify_cached", [&](int, std::size_t i) {
    auto p = cached.verify_cached(tokens[i % tokens.size()], keys);
    if (!p) throw std::logic_error("no principal");
  });
  if (cached.verifications() != full_before) {
    throw std::runtime_error("verify_cached verified again: the cache missed");
  }

  const json::object claims = claims_for(o, 0, now);
  measure(o, "sign_jwt", [&](int, std::size_t) {
    if (auth::sign_jwt(claims, key).empty()) throw std::logic_error("empty token");
  });

  if (o.argon2_runs > 0) {
    const std::string phc = auth::hash_password("Correct-Horse-Battery-9");
    std::vector<double> ms;
    for (int r = 0; r < o.argon2_runs; ++r) {
      const auto t0 = SteadyClock::now();
      if (!auth::verify_password("Correct-Horse-Battery-9", phc)) {
        throw std::runtime_error("verify_password refused its own hash");
      }
      ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("A|%d|%.1f|%.1f|%.1f\n", o.argon2_runs, ms[ms.size() / 2], ms.front(), ms.back());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "auth_bench: %s\n", e.what());
    return 1;
  }
}
