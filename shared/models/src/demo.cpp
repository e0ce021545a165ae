#include "mmx/models/demo.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace mmx::models::demo {

const std::vector<DemoUser>& users() {
  static const std::vector<DemoUser> all = {
      {"admin@demo.micromax.dev", "Ada Admin", "admin"},
      {"staff@demo.micromax.dev", "Sam Staff", "staff"},
      {"alice@demo.micromax.dev", "Alice Customer", "customer"},
      {"bob@demo.micromax.dev", "Bob Customer", "customer"},
      {"carol@demo.micromax.dev", "Carol Customer", "customer"},
      {"dave@demo.micromax.dev", "Dave Customer", "customer"},
      {"erin@demo.micromax.dev", "Erin Customer", "customer"},
  };
  return all;
}

namespace {

// FNV-1a, 64 bits, from a chosen offset: two different offsets give 128 bits. Not a
// cryptographic hash, and it need not be: the ids only have to be stable and distinct.
std::uint64_t fnv1a(std::string_view s, std::uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

std::string user_id(std::string_view email) {
  std::uint64_t hi = fnv1a(email, 0xcbf29ce484222325ULL);
  std::uint64_t lo = fnv1a(email, 0x84222325cbf29ce4ULL);
  hi = (hi & ~0xf000ULL) | 0x8000ULL;                // version 8
  lo = (lo & ~(3ULL << 62)) | (2ULL << 62);          // variant 10
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return out;
}

void declare_demo_settings(config::SettingRegistry& r) {
  r.add(config::make_setting("MMX_DEMO_DATA", config::Kind::boolean, "false",
                             "Create the demo data at start (as `micromax seed` does) when it is "
                             "missing: demo users, a catalog, 90 days of orders. `make run` "
                             "turns it on.",
                             "demo"));
  auto pw = config::make_setting("MMX_DEMO_PASSWORD", config::Kind::string, "",
                                 "Password of the demo users; empty means \"" +
                                     std::string(kLocalPassword) +
                                     "\", accepted only with MMX_ENV=local.",
                                 "demo");
  pw.secret = true;
  r.add(std::move(pw));
}

std::string demo_password(const config::Config& cfg) {
  std::string pw = cfg.string("MMX_DEMO_PASSWORD");
  if (!pw.empty()) return pw;
  if (!cfg.is_local()) {
    throw std::runtime_error(
        "MMX_DEMO_PASSWORD must be set to create demo users outside MMX_ENV=local (the "
        "built-in demo password is public)");
  }
  return std::string(kLocalPassword);
}

}  // namespace mmx::models::demo
