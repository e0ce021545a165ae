#pragma once
// Start-up work of the auth service: the first signing key, the dummy hash, the discovery
// document and the first superuser. Idempotent: every replica runs it at every start.
#include <boost/asio/awaitable.hpp>

#include "service.hpp"

namespace mmx::auth_service {

boost::asio::awaitable<void> bootstrap(Service& svc);

// MMX_FIRST_SUPERUSER with the admin role, unless an account with that email exists.
// Outside MMX_ENV=local the default password, or a weak one, stops start-up.
boost::asio::awaitable<void> ensure_first_superuser(Service& svc);

// Hourly: deletes expired refresh, recovery and revocation rows and stale login failures.
boost::asio::awaitable<void> run_purge(std::shared_ptr<Service> svc);

}  // namespace mmx::auth_service
