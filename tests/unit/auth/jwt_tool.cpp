// A command-line face of shared/auth for the PyJWT interoperability test (pyjwt_interop.py):
//
//   auth_jwt_tool sign DIR ISSUER AUDIENCE        new key; writes DIR/jwks.json, DIR/token
//   auth_jwt_tool verify JWKS TOKEN ISSUER AUDIENCE
//       exit 0 and the principal as JSON on stdout, or exit 1 and the error kind on stdout
#include <boost/json/serialize.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "mmx/auth/jwks.hpp"
#include "mmx/auth/jwt.hpp"
#include "mmx/auth/verifier.hpp"

namespace json = boost::json;
using namespace mmx::auth;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "sign" && argc == 5) {
      const std::string dir = argv[2];
      SigningKey key = SigningKey::generate("mmx-test-1");
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      json::object claims{{"iss", argv[3]},   {"sub", "user-7"},    {"aud", argv[4]},
                          {"exp", now + 900}, {"iat", now},         {"nbf", now},
                          {"jti", "j-1"},     {"scope", "a:read b"}, {"roles", json::array{"staff"}},
                          {"client_id", "web"}};
      write(dir + "/jwks.json", json::serialize(json::object{{"keys", json::array{key.public_jwk()}}}));
      write(dir + "/token", sign_jwt(claims, key));
      return 0;
    }
    if (cmd == "verify" && argc == 6) {
      KeySet keys = KeySet::parse(read(argv[2]));
      VerifierOptions o;
      o.issuer = argv[4];
      o.audiences = {argv[5]};
      TokenVerifier v(o);
      try {
        Principal p = v.verify(read(argv[3]), keys);
        std::cout << json::serialize(json::object{{"sub", p.subject},
                                                  {"scopes", strings(p.scopes)},
                                                  {"roles", strings(p.roles)},
                                                  {"is_service", p.is_service}})
                  << "\n";
        return 0;
      } catch (const TokenError& e) {
        std::cout << to_string(e.kind()) << "\n";
        return 1;
      }
    }
    std::cerr << "usage: auth_jwt_tool sign DIR ISSUER AUDIENCE | verify JWKS TOKEN ISSUER AUDIENCE\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "auth_jwt_tool: " << e.what() << "\n";
    return 2;
  }
}
