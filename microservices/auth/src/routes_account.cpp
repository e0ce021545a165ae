// Self-service: sign-up, the signed-in user's profile and password, password recovery.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/array.hpp>

#include "audit.hpp"
#include "mmx/auth/password.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/broker/event.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/exec/offload.hpp"
#include "mmx/log/log.hpp"
#include "mmx/models/events.hpp"
#include "request_util.hpp"
#include "routes.hpp"
#include "tokens.hpp"
#include "users.hpp"

namespace mmx::auth_service {

namespace asio = boost::asio;

void check_new_password(const Service& svc, const std::string& password, const std::string& email,
                        const std::string& pointer) {
  if (auto why = check_password(svc.settings.password, password, email)) {
    throw errors::unprocessable({{pointer, *why}});
  }
}

void check_account_email(const std::string& email, const std::string& pointer) {
  if (auto why = check_email(email)) throw errors::unprocessable({{pointer, *why}});
}

void bad_query(const std::string& name, const std::string& expected) {
  boost::json::array errs;
  errs.push_back({{"parameter", name}, {"in", "query"}, {"detail", expected}});
  throw std::move(errors::HttpError(422, "query parameter '" + name + "' " + expected + ".")
                      .with_type("urn:micromax:problem:validation")
                      .with_extension("errors", std::move(errs)));
}

awaitable<User> create_user(Service& svc, NewUser in, AuditEntry entry, std::string traceparent) {
  co_await check_roles(*svc.db, in.roles);
  const auto now = std::chrono::system_clock::now();
  UserRow row{in.id.empty() ? new_uuid() : in.id, in.email, lower_ascii(in.email), in.full_name, "", in.active, now, now};
  auto existing = co_await find_user_by_email(*svc.db, row.email_key);
  if (existing) throw errors::conflict("An account with this email already exists.");
  row.password_hash = co_await exec::offload(
      svc.workers, [&] { return auth::hash_password(in.password, svc.settings.hash); });
  entry.subject = row.id;
  co_await svc.db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
    co_await insert_user(tx, row, in.roles);
    co_await audit(tx, entry);
    if (svc.outbox) {
      models::UserRegistered data{row.id, row.email, row.full_name, in.roles};
      auto event = broker::make_event(std::string(models::event_types::user_registered),
                                      "/micromax/auth", dto::to_json(data), row.id, traceparent);
      co_await svc.outbox->add(tx, std::string(models::topics::identity_users), row.id,
                               std::move(event));
    }
  });
  std::sort(in.roles.begin(), in.roles.end());
  in.roles.erase(std::unique(in.roles.begin(), in.roles.end()), in.roles.end());
  co_return User{row.id, row.email, row.full_name, row.active, in.roles, now, now};
}

namespace {

awaitable<bool> password_matches(Service& svc, std::string password, std::string hash) {
  co_return co_await exec::offload(svc.workers,
                                   [&] { return auth::verify_password(password, hash); });
}

// Sends the recovery email on the worker pool after the response has gone: the answer is
// the same, in the same time, whether or not the email belongs to an account.
void send_recovery_mail(std::shared_ptr<Service> svc, std::string to, std::string token) {
  std::string link =
      svc->settings.recovery_url.empty()
          ? token
          : svc->settings.recovery_url +
                (svc->settings.recovery_url.find('?') == std::string::npos ? "?" : "&") +
                "token=" + token;
  Mail mail{to, "Reset your MicroMax password",
            "Someone asked to reset the password of your MicroMax account.\n\n"
            "To choose a new password, use this within " +
                std::to_string(svc->settings.recovery_ttl.count() / 60) + " minutes:\n\n" + link +
                "\n\nIf it was not you, ignore this email: your password stays as it is.\n"};
  if (svc->settings.mail.url.empty()) {
    log::warn("auth", "password recovery requested but MMX_SMTP_URL is not set: no email sent");
    return;
  }
  if (!svc->workers.try_submit([svc, mail = std::move(mail)] {
        try {
          send_mail(svc->settings.mail, mail);
          log::info("auth", "recovery email sent");
        } catch (const std::exception& e) {
          log::error("auth", "recovery email failed", {{"error", e.what()}});
        }
      })) {
    log::error("auth", "recovery email dropped: the worker pool is full");
  }
}

// The recovery request's work, after its 202: a single-use token for an active account,
// the audit line, the email. Errors are logged (the client has its answer already).
awaitable<void> start_recovery(std::shared_ptr<Service> svc, std::string email_key,
                               std::string ip) {
  try {
    auto user = co_await find_user_by_email(*svc->db, email_key);
    if (!user || !user->active) co_return;
    std::string token = co_await create_recovery(*svc->db, user->id, svc->settings.recovery_ttl);
    co_await audit(*svc->db, "anonymous", "password.recovery_requested", user->id, ip, "", true);
    send_recovery_mail(svc, user->email, std::move(token));
  } catch (const std::exception& e) {
    log::error("auth", "password recovery failed", {{"error", e.what()}});
  }
}

}  // namespace

void mount_account_routes(http::Router& r, std::shared_ptr<Service> svc) {
  r.post("/auth/signup",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const std::string ip = client_ip(req, svc->settings.trust_forwarded_for);
           check_rate(svc->signup_limiter, ip);
           if (!svc->settings.signup)
             throw errors::forbidden("Sign-up is disabled (MMX_AUTH_SIGNUP).");
           auto in = req.json<SignupRequest>();
           check_account_email(in.email, "/email");
           check_new_password(*svc, in.password, in.email, "/password");
           NewUser fresh{"", in.email, in.password, in.full_name, {"customer"}, true};
           AuditEntry entry{"anonymous", "signup", "", ip, "", true};
           User user = co_await create_user(*svc, std::move(fresh), std::move(entry),
                                            req.trace().traceparent());
           http::Response resp = http::Response::of(user, 201);
           resp.set_header("Location", "/auth/users/me");
           co_return resp;
         })
      .summary("Create an account (role customer)")
      .description("Off when MMX_AUTH_SIGNUP=false. Rate-limited per client IP.")
      .body<SignupRequest>()
      .returns<User>(201, "Created; sign in at /auth/token")
      .returns(403, "Sign-up is disabled")
      .returns(409, "The email is taken")
      .returns(429, "Too many requests from this address");

  r.get("/auth/users/me",
        [svc](http::Request& req) -> awaitable<http::Response> {
          auto me = co_await current_user(*svc, req);
          User user = co_await to_user(*svc->db, me.user);
          co_return http::Response::of(user);
        })
      .summary("The signed-in user")
      .auth(http::AuthRequirement::authenticated())
      .returns<User>(200, "The user");

  r.patch("/auth/users/me",
          [svc](http::Request& req) -> awaitable<http::Response> {
            auto me = co_await current_user(*svc, req);
            auto in = req.json<UpdateMe>();
            UserRow row = me.user;
            if (in.email && lower_ascii(*in.email) != row.email_key) {
              check_account_email(*in.email, "/email");
              if (!in.current_password) {
                throw errors::unprocessable(
                    {{"/current_password", "is required to change the email"}});
              }
              bool ok = co_await password_matches(*svc, *in.current_password, row.password_hash);
              if (!ok) throw errors::unprocessable({{"/current_password", "is not your password"}});
            }
            if (in.email) {
              row.email = *in.email;
              row.email_key = lower_ascii(*in.email);
            }
            if (in.full_name) row.full_name = *in.full_name;
            row.updated_at = std::chrono::system_clock::now();
            co_await update_user(*svc->db, row);
            co_await audit(*svc->db, row.id, "user.update", row.id,
                           client_ip(req, svc->settings.trust_forwarded_for),
                           in.email ? "email changed" : "", true);
            User user = co_await to_user(*svc->db, row);
            co_return http::Response::of(user);
          })
      .summary("Update the signed-in user's name or email")
      .auth(http::AuthRequirement::authenticated())
      .body<UpdateMe>()
      .returns<User>(200, "Updated")
      .returns(409, "The email is taken");

  r.post("/auth/users/me/password",
         [svc](http::Request& req) -> awaitable<http::Response> {
           auto me = co_await current_user(*svc, req);
           auto in = req.json<ChangePassword>();
           bool ok = co_await password_matches(*svc, in.current_password, me.user.password_hash);
           if (!ok) throw errors::unprocessable({{"/current_password", "is not your password"}});
           check_new_password(*svc, in.new_password, me.user.email, "/new_password");
           UserRow row = me.user;
           row.password_hash = co_await exec::offload(svc->workers, [&] {
             return auth::hash_password(in.new_password, svc->settings.hash);
           });
           row.updated_at = std::chrono::system_clock::now();
           std::optional<std::string> keep;
           if (auto* sid = me.principal.claims.if_contains("sid"); sid && sid->is_string()) {
             keep = std::string(sid->as_string());
           }
           const std::string ip = client_ip(req, svc->settings.trust_forwarded_for);
           co_await svc->db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
             co_await update_user(tx, row);
             const std::int64_t n = co_await revoke_user_sessions(tx, row.id, keep);
             co_await audit(tx, row.id, "password.change", row.id, ip,
                            std::to_string(n) + " other sessions signed out", true);
           });
           co_return http::Response::empty(204);
         })
      .summary("Change the signed-in user's password (signs out every other session)")
      .auth(http::AuthRequirement::authenticated())
      .body<ChangePassword>()
      .returns(204, "Changed")
      .returns(422, "Wrong current password, or the new one breaks the policy");

  r.post("/auth/password-recovery",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const std::string ip = client_ip(req, svc->settings.trust_forwarded_for);
           check_rate(svc->recovery_limiter, ip);
           auto in = req.json<RecoveryRequest>();
           // Looked up after the answer: known and unknown emails take the same time.
           asio::co_spawn(co_await asio::this_coro::executor,
                          start_recovery(svc, lower_ascii(in.email), ip), asio::detached);
           co_return http::Response::of(
               Accepted{"If an account has this email, a recovery link is on its way."}, 202);
         })
      .summary("Email a single-use password-reset token")
      .description(
          "Always 202, whether or not the email has an account (no enumeration). "
          "Rate-limited per client IP.")
      .body<RecoveryRequest>()
      .returns<Accepted>(202, "Accepted")
      .returns(429, "Too many requests from this address");

  r.post("/auth/password-reset",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const std::string ip = client_ip(req, svc->settings.trust_forwarded_for);
           check_rate(svc->reset_limiter, ip);
           auto in = req.json<ResetPassword>();
           // The policy is checked before the token is spent: a rejected password costs no token.
           auto user_id = co_await svc->db->fetch_value<std::string>(
               "SELECT user_id FROM recovery_tokens WHERE token_hash = $1 AND used = FALSE AND "
               "expires_at > $2",
               auth::sha256_hex(in.token), unix_now());
           std::optional<UserRow> user;
           if (user_id) user = co_await find_user(*svc->db, *user_id);
           if (!user || !user->active) {
             throw errors::bad_request("The reset token is invalid, used or expired.");
           }
           check_new_password(*svc, in.new_password, user->email, "/new_password");
           user->password_hash = co_await exec::offload(svc->workers, [&] {
             return auth::hash_password(in.new_password, svc->settings.hash);
           });
           user->updated_at = std::chrono::system_clock::now();
           bool spent =
               co_await svc->db->transaction([&](db::Transaction& tx) -> asio::awaitable<bool> {
                 auto owner = co_await consume_recovery(tx, in.token, unix_now());
                 if (!owner || *owner != user->id) co_return false;
                 co_await update_user(tx, *user);
                 co_await revoke_user_sessions(tx, user->id, std::nullopt);
                 co_await tx.execute("DELETE FROM login_failures WHERE email_key = $1",
                                     user->email_key);
                 co_await audit(tx, user->id, "password.reset", user->id, ip, "", true);
                 co_return true;
               });
           if (!spent) throw errors::bad_request("The reset token is invalid, used or expired.");
           co_return http::Response::empty(204);
         })
      .summary("Set a new password with a recovery token (signs out every session)")
      .body<ResetPassword>()
      .returns(204, "Password changed")
      .returns(400, "The token is invalid, used or expired")
      .returns(422, "The new password breaks the policy");
}

}  // namespace mmx::auth_service
