#pragma once
// Plain-text email over SMTP with libcurl. Blocking (DNS, connect, the SMTP dialogue): run
// it on the worker pool. Credentials and message bodies are never logged.
#include <chrono>
#include <string>

namespace mmx::auth_service {

struct MailSettings {
  std::string url;  // smtp://host:port or smtps://host:port; "" = mail disabled
  std::string from = "MicroMax <no-reply@micromax.local>";
  std::string username, password;
  std::chrono::milliseconds timeout{10'000};
};

struct Mail {
  std::string to;  // a bare address (validated: no CR/LF, no angle brackets)
  std::string subject;
  std::string body;  // UTF-8 text; lines are CRLF-terminated on the wire
};

// The address inside "Name <addr>", or the whole string when there are no brackets.
std::string mail_address(const std::string& from);

// The RFC 5322 message as sent (headers, blank line, body with CRLF line ends and
// dot-stuffing left to libcurl).
std::string render_mail(const MailSettings& settings, const Mail& mail);

// Throws std::runtime_error with libcurl's reason (never the credentials).
void send_mail(const MailSettings& settings, const Mail& mail);

// curl_global_init, once, before any thread sends (call at start-up).
void init_mail();

}  // namespace mmx::auth_service
