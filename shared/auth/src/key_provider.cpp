#include "mmx/auth/key_provider.hpp"

namespace mmx::auth {

boost::asio::awaitable<std::shared_ptr<const KeySet>> StaticKeyProvider::keys() {
  co_return keys_;
}

boost::asio::awaitable<std::shared_ptr<const KeySet>> StaticKeyProvider::refresh_for_unknown_kid(
    std::shared_ptr<const KeySet>) {
  co_return keys_;
}

}  // namespace mmx::auth
