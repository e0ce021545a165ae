#include "mmx/auth/jwks.hpp"

#include <boost/json/parse.hpp>
#include <stdexcept>

namespace mmx::auth {

namespace json = boost::json;

namespace {

std::string str_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

KeySet KeySet::parse(const json::object& jwks) {
  const auto* keys = jwks.if_contains("keys");
  if (!keys || !keys->is_array()) {
    throw std::invalid_argument("JWKS document without a \"keys\" array");
  }
  KeySet set;
  std::size_t index = 0;
  for (const auto& entry : keys->as_array()) {
    const std::string where = "key " + std::to_string(index++);
    if (!entry.is_object()) {
      set.skipped_.push_back(where + ": not an object");
      continue;
    }
    const auto& o = entry.as_object();
    const std::string kid = str_field(o, "kid");
    const std::string name = kid.empty() ? where : "kid " + kid;
    const std::string kty = str_field(o, "kty");
    if (kty != "RSA") {
      set.skipped_.push_back(name + ": kty " + (kty.empty() ? "(none)" : kty) + " is not RSA");
      continue;
    }
    if (o.contains("alg") && str_field(o, "alg") != "RS256") {
      set.skipped_.push_back(name + ": alg is not RS256");
      continue;
    }
    if (o.contains("use") && str_field(o, "use") != "sig") {
      set.skipped_.push_back(name + ": use is not sig");
      continue;
    }
    if (kid.empty()) {
      set.skipped_.push_back(name + ": no kid");
      continue;
    }
    try {
      auto key = PublicKey::from_jwk(o);
      if (!set.keys_.emplace(kid, std::move(key)).second) {
        set.skipped_.push_back(name + ": duplicate kid (the first one is kept)");
      }
    } catch (const std::exception& e) {
      set.skipped_.push_back(name + ": " + e.what());
    }
  }
  return set;
}

KeySet KeySet::parse(std::string_view jwks_json) {
  boost::system::error_code ec;
  json::value v = json::parse(jwks_json, ec);
  if (ec || !v.is_object()) throw std::invalid_argument("JWKS document is not a JSON object");
  return parse(v.as_object());
}

KeySet KeySet::from_keys(const std::vector<std::pair<std::string, PublicKey>>& keys) {
  KeySet set;
  for (const auto& [kid, key] : keys) set.keys_.insert_or_assign(kid, key);
  return set;
}

const PublicKey* KeySet::find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> KeySet::kids() const {
  std::vector<std::string> out;
  for (const auto& [kid, _] : keys_) out.push_back(kid);
  return out;
}

}  // namespace mmx::auth
