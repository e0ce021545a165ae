#include "mmx/auth/keys.hpp"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <vector>

#include "mmx/auth/encoding.hpp"
#include "openssl_util.hpp"

namespace mmx::auth {

namespace detail {

const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!m) throw std::runtime_error("OpenSSL has no SHA256");
    return m;
  }();
  return md;
}

BioPtr memory_bio(std::string_view data) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) throw std::bad_alloc();
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace detail

namespace {

using namespace detail;
namespace json = boost::json;

constexpr int kMinBits = 2048;
constexpr int kMaxBits = 16384;  // verification cost grows fast; nobody uses more

// Never prompt on a terminal for the passphrase of an encrypted PEM: refuse it.
int no_passphrase(char*, int, int, void*) { return 0; }

bool is_rsa(EVP_PKEY* pkey) { return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA; }

std::string bn_bytes(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    throw std::runtime_error(std::string("RSA key without parameter ") + name);
  }
  BnPtr bn(raw);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

json::object rsa_jwk(const EVP_PKEY* pkey) {
  return json::object{{"kty", "RSA"},
                      {"n", base64url_encode(bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_N))},
                      {"e", base64url_encode(bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_E))}};
}

void check_size(EVP_PKEY* pkey, const char* what) {
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits < kMinBits || bits > kMaxBits) {
    throw std::invalid_argument(std::string(what) + ": RSA modulus of " + std::to_string(bits) +
                                " bits (need 2048 to 16384)");
  }
}

}  // namespace

struct PublicKey::Impl {
  PkeyPtr pkey;
};

struct SigningKey::Impl {
  std::string kid;
  PkeyPtr pkey;
  std::shared_ptr<const PublicKey::Impl> pub;  // the same EVP_PKEY, shared
};

// ---------------------------------------------------------------------------------------------
// PublicKey

PublicKey PublicKey::from_jwk(const json::object& jwk) {
  const auto* kty = jwk.if_contains("kty");
  if (!kty || !kty->is_string() || kty->as_string() != "RSA") {
    throw std::invalid_argument("JWK: kty is not RSA");
  }
  const auto* n = jwk.if_contains("n");
  const auto* e = jwk.if_contains("e");
  if (!n || !n->is_string() || !e || !e->is_string()) {
    throw std::invalid_argument("JWK: RSA key without n and e");
  }
  auto nb = base64url_decode(n->as_string());
  auto eb = base64url_decode(e->as_string());
  if (!nb || !eb || nb->empty() || eb->empty()) {
    throw std::invalid_argument("JWK: n or e is not base64url");
  }
  BnPtr nbn(BN_bin2bn(reinterpret_cast<const unsigned char*>(nb->data()),
                      static_cast<int>(nb->size()), nullptr));
  BnPtr ebn(BN_bin2bn(reinterpret_cast<const unsigned char*>(eb->data()),
                      static_cast<int>(eb->size()), nullptr));
  if (!nbn || !ebn) throw std::bad_alloc();
  const int bits = BN_num_bits(nbn.get());
  if (bits < kMinBits || bits > kMaxBits) {
    throw std::invalid_argument("JWK: RSA modulus of " + std::to_string(bits) +
                                " bits (need 2048 to 16384)");
  }
  if (!BN_is_odd(ebn.get()) || BN_num_bits(ebn.get()) < 2 || BN_num_bits(ebn.get()) > 64) {
    throw std::invalid_argument("JWK: unusable RSA exponent");
  }

  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, nbn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, ebn.get()) != 1) {
    throw std::bad_alloc();
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(bld.get()), OSSL_PARAM_free);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("JWK: OpenSSL refused the RSA key");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey.reset(raw);
  return PublicKey(std::move(impl));
}

PublicKey PublicKey::from_pem(std::string_view public_pem) {
  auto bio = memory_bio(public_pem);
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!pkey) throw std::invalid_argument("not a PEM public key");
  if (!is_rsa(pkey.get())) throw std::invalid_argument("PEM public key is not RSA");
  check_size(pkey.get(), "PEM public key");
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(pkey);
  return PublicKey(std::move(impl));
}

bool PublicKey::verify_rs256(std::string_view signing_input, std::string_view signature) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::bad_alloc();
  bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, sha256_md(), nullptr, impl_->pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

std::string PublicKey::public_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get()) != 1) {
    throw std::runtime_error("cannot write the public key as PEM");
  }
  return bio_contents(bio.get());
}

json::object PublicKey::jwk() const { return rsa_jwk(impl_->pkey.get()); }

int PublicKey::bits() const { return EVP_PKEY_get_bits(impl_->pkey.get()); }

// ---------------------------------------------------------------------------------------------
// SigningKey

namespace {

SigningKey make_signing(std::string kid, PkeyPtr pkey) {
  auto impl = std::make_shared<SigningKey::Impl>();
  impl->kid = std::move(kid);
  // The public half shares the EVP_PKEY (up-ref), so verifying with it needs no export.
  auto pub = std::make_shared<PublicKey::Impl>();
  EVP_PKEY_up_ref(pkey.get());
  pub->pkey.reset(pkey.get());
  impl->pkey = std::move(pkey);
  impl->pub = std::move(pub);
  return SigningKey(std::move(impl));
}

}  // namespace

SigningKey SigningKey::generate(std::string kid, int bits) {
  if (bits < kMinBits || bits > kMaxBits) {
    throw std::invalid_argument("RSA key size must be 2048 to 16384 bits");
  }
  PkeyPtr pkey(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (!pkey) {
    ERR_clear_error();
    throw std::runtime_error("RSA key generation failed");
  }
  return make_signing(std::move(kid), std::move(pkey));
}

SigningKey SigningKey::from_pem(std::string kid, std::string_view private_pem) {
  auto bio = memory_bio(private_pem);
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!pkey) throw std::invalid_argument("signing key " + kid + ": not an unencrypted PEM private key");
  if (!is_rsa(pkey.get())) throw std::invalid_argument("signing key " + kid + ": not an RSA key");
  check_size(pkey.get(), ("signing key " + kid).c_str());
  return make_signing(std::move(kid), std::move(pkey));
}

const std::string& SigningKey::kid() const { return impl_->kid; }

std::string SigningKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    throw std::runtime_error("cannot write the private key as PEM");
  }
  return bio_contents(bio.get());
}

json::object SigningKey::public_jwk() const {
  json::object jwk = rsa_jwk(impl_->pkey.get());
  json::object out{{"kty", "RSA"}, {"kid", impl_->kid}, {"use", "sig"}, {"alg", "RS256"}};
  out["n"] = std::move(jwk["n"]);
  out["e"] = std::move(jwk["e"]);
  return out;
}

PublicKey SigningKey::public_key() const { return PublicKey(impl_->pub); }

std::string SigningKey::sign_rs256(std::string_view signing_input) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::bad_alloc();
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, sha256_md(), nullptr, impl_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("RS256 signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("RS256 signing failed");
  }
  sig.resize(len);
  return sig;
}

}  // namespace mmx::auth
