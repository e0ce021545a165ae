#include "settings.hpp"

#include <stdexcept>

#include "mmx/auth/settings.hpp"
#include "mmx/db/service_database.hpp"
#include "mmx/models/demo.hpp"

namespace mmx::auth_service {
namespace {

using config::Kind;
constexpr std::int64_t kDay = 86'400'000;

std::chrono::seconds seconds(const config::Config& cfg, const char* name) {
  return std::chrono::duration_cast<std::chrono::seconds>(cfg.duration(name));
}

}  // namespace

void declare_settings(config::SettingRegistry& r) {
  auth::declare_auth_settings(r);  // issuer, audience, leeway: shared with the verifiers
  db::declare_service_database(r, kService);
  models::demo::declare_demo_settings(r);
  auto add = [&](std::string name, Kind kind, std::string def, std::string help,
                 std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX, bool secret = false) {
    auto s = config::make_setting(std::move(name), kind, std::move(def), std::move(help), kService,
                                  min, max);
    s.secret = secret;
    r.add(std::move(s));
  };
  add("MMX_AUTH_ACCESS_TOKEN_TTL", Kind::duration, "15m", "Lifetime of access tokens (JWTs).", 1000,
      kDay);
  add("MMX_AUTH_REFRESH_TOKEN_TTL", Kind::duration, "336h",
      "Lifetime of a refresh token (336h = 14 days); each use rotates it and starts a new "
      "lifetime.",
      1000, 365 * kDay);
  add("MMX_AUTH_SIGNUP", Kind::boolean, "true",
      "Open sign-up at POST /auth/signup (new users get the customer role).");
  add("MMX_AUTH_ARGON2_MEMORY", Kind::size, "19MiB",
      "Argon2id memory per password hash (OWASP minimum: 19 MiB).", 8 * 1024, 4LL << 30);
  add("MMX_AUTH_ARGON2_ITERATIONS", Kind::integer, "2", "Argon2id passes.", 1, 100);
  add("MMX_AUTH_ARGON2_PARALLELISM", Kind::integer, "1", "Argon2id lanes.", 1, 64);
  add("MMX_AUTH_PASSWORD_MIN_LENGTH", Kind::integer, "8", "Shortest password (code points).", 1,
      1024);
  add("MMX_AUTH_PASSWORD_MAX_LENGTH", Kind::integer, "128", "Longest password (code points).", 8,
      4096);
  add("MMX_AUTH_LOCKOUT_THRESHOLD", Kind::integer, "5",
      "Failed sign-ins in a row after which an account is locked; 0 = never.", 0, 1000);
  add("MMX_AUTH_LOCKOUT_BASE", Kind::duration, "30s",
      "First lockout; doubles with each further failure.", 1000, kDay);
  add("MMX_AUTH_LOCKOUT_MAX", Kind::duration, "15m", "Longest lockout.", 1000, kDay);
  add("MMX_AUTH_LOCKOUT_WINDOW", Kind::duration, "15m", "Failures older than this are forgotten.",
      1000, 30 * kDay);
  add("MMX_AUTH_RATE_LIMIT", Kind::integer, "30",
      "Requests per minute per client IP to /auth/token, /auth/signup, /auth/password-recovery "
      "and /auth/password-reset (each its own bucket); 0 = no limit.",
      0, 1'000'000);
  add("MMX_AUTH_RATE_BURST", Kind::integer, "10", "Requests a client IP may make at once.", 1,
      1'000'000);
  add("MMX_AUTH_TRUST_FORWARDED_FOR", Kind::boolean, "false",
      "Rate-limit by the last X-Forwarded-For address (only behind a proxy that sets it).");
  add("MMX_AUTH_COOKIE_SECURE", Kind::boolean, "true",
      "Mark the refresh-token cookie Secure; false (plain-http development) needs "
      "MMX_ENV=local.");
  add("MMX_AUTH_KEY_CACHE", Kind::duration, "5s",
      "How long a replica uses the signing keys it read before reading them again (picks up "
      "rotations by other replicas).",
      0, 3'600'000);
  add("MMX_AUTH_KEY_ACTIVATION_DELAY", Kind::duration, "10s",
      "A rotated-in key is published in the JWKS this long before it signs, so every replica "
      "and verifier can know it first.",
      0, 3'600'000);
  add("MMX_AUTH_KEY_ENCRYPTION_KEY", Kind::string, "",
      "Secret that encrypts the signing keys' private PEMs in the database (AES-256-GCM); "
      "required outside MMX_ENV=local (scripts/gen-secret.sh prints one).",
      INT64_MIN, INT64_MAX, true);
  add("MMX_AUTH_RECOVERY_TOKEN_TTL", Kind::duration, "30m",
      "Lifetime of a password-recovery token (single use).", 60'000, kDay);
  add("MMX_AUTH_RECOVERY_URL", Kind::string, "",
      "Link sent in recovery emails, the token appended as ?token=...; empty = the token "
      "alone.");
  add("MMX_FIRST_SUPERUSER", Kind::string, "admin@example.com",
      "Email of the admin created on first start (if absent); empty = none.");
  add("MMX_FIRST_SUPERUSER_PASSWORD", Kind::string, "changethis",
      "Its password. The default, or a weak one, is refused outside MMX_ENV=local.", INT64_MIN,
      INT64_MAX, true);
  add("MMX_SMTP_URL", Kind::string, "",
      "SMTP server for recovery emails: smtp://host:port (STARTTLS when offered) or "
      "smtps://host:port; empty = no email (recovery requests are logged and dropped).");
  add("MMX_SMTP_FROM", Kind::string, "MicroMax <no-reply@micromax.local>",
      "From address of the emails.");
  add("MMX_SMTP_USERNAME", Kind::string, "", "SMTP login; empty = none.");
  add("MMX_SMTP_PASSWORD", Kind::string, "", "SMTP password.", INT64_MIN, INT64_MAX, true);
  add("MMX_SMTP_TIMEOUT", Kind::duration, "10s", "Time limit of one email.", 1000, 300'000);
}

AuthSettings load_settings(const config::Config& cfg) {
  AuthSettings s;
  s.local = cfg.is_local();
  s.issuer = auth::resolve_issuer(cfg);
  s.audiences = auth::resolve_audiences(cfg);
  if (s.audiences.empty()) throw std::runtime_error("MMX_AUTH_AUDIENCE is empty");
  s.access_ttl = seconds(cfg, "MMX_AUTH_ACCESS_TOKEN_TTL");
  s.refresh_ttl = seconds(cfg, "MMX_AUTH_REFRESH_TOKEN_TTL");
  s.leeway = seconds(cfg, "MMX_AUTH_LEEWAY");
  s.key_cache = seconds(cfg, "MMX_AUTH_KEY_CACHE");
  s.key_activation_delay = seconds(cfg, "MMX_AUTH_KEY_ACTIVATION_DELAY");
  s.recovery_ttl = seconds(cfg, "MMX_AUTH_RECOVERY_TOKEN_TTL");
  s.signup = cfg.boolean("MMX_AUTH_SIGNUP");
  s.hash.memory_kib = static_cast<std::uint32_t>(cfg.size("MMX_AUTH_ARGON2_MEMORY") / 1024);
  s.hash.iterations = static_cast<std::uint32_t>(cfg.integer("MMX_AUTH_ARGON2_ITERATIONS"));
  s.hash.parallelism = static_cast<std::uint32_t>(cfg.integer("MMX_AUTH_ARGON2_PARALLELISM"));
  s.password.min_length = static_cast<std::size_t>(cfg.integer("MMX_AUTH_PASSWORD_MIN_LENGTH"));
  s.password.max_length = static_cast<std::size_t>(cfg.integer("MMX_AUTH_PASSWORD_MAX_LENGTH"));
  if (s.password.min_length > s.password.max_length) {
    throw std::runtime_error(
        "MMX_AUTH_PASSWORD_MIN_LENGTH is larger than MMX_AUTH_PASSWORD_MAX_LENGTH");
  }
  s.lockout.threshold = cfg.integer("MMX_AUTH_LOCKOUT_THRESHOLD");
  s.lockout.base = seconds(cfg, "MMX_AUTH_LOCKOUT_BASE");
  s.lockout.max = seconds(cfg, "MMX_AUTH_LOCKOUT_MAX");
  s.lockout.window = seconds(cfg, "MMX_AUTH_LOCKOUT_WINDOW");
  s.rate_per_minute = static_cast<double>(cfg.integer("MMX_AUTH_RATE_LIMIT"));
  s.rate_burst = static_cast<double>(cfg.integer("MMX_AUTH_RATE_BURST"));
  s.trust_forwarded_for = cfg.boolean("MMX_AUTH_TRUST_FORWARDED_FOR");
  s.cookie_secure = cfg.boolean("MMX_AUTH_COOKIE_SECURE");
  if (!s.cookie_secure && !s.local) {
    throw std::runtime_error(
        "MMX_AUTH_COOKIE_SECURE=false is only for plain-http development (MMX_ENV=local): a "
        "refresh-token cookie without Secure may travel in clear text");
  }
  s.key_encryption_key = cfg.string("MMX_AUTH_KEY_ENCRYPTION_KEY");
  if (s.key_encryption_key.empty() && !s.local) {
    throw std::runtime_error(
        "MMX_AUTH_KEY_ENCRYPTION_KEY is required outside MMX_ENV=local: it encrypts the "
        "signing keys stored in the database (scripts/gen-secret.sh prints one)");
  }
  s.recovery_url = cfg.string("MMX_AUTH_RECOVERY_URL");
  s.first_superuser = cfg.string("MMX_FIRST_SUPERUSER");
  s.first_superuser_password = cfg.string("MMX_FIRST_SUPERUSER_PASSWORD");
  s.mail.url = cfg.string("MMX_SMTP_URL");
  s.mail.from = cfg.string("MMX_SMTP_FROM");
  s.mail.username = cfg.string("MMX_SMTP_USERNAME");
  s.mail.password = cfg.string("MMX_SMTP_PASSWORD");
  s.mail.timeout = cfg.duration("MMX_SMTP_TIMEOUT");
  return s;
}

}  // namespace mmx::auth_service
