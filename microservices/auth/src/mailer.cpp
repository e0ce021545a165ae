#include "mailer.hpp"

#include <curl/curl.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "mmx/auth/secrets.hpp"

namespace mmx::auth_service {
namespace {

struct Upload {
  std::string data;
  std::size_t offset = 0;
};

std::size_t read_chunk(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

std::string rfc5322_date() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

bool header_safe(const std::string& s) { return s.find_first_of("\r\n") == std::string::npos; }

}  // namespace

void init_mail() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string mail_address(const std::string& from) {
  auto lt = from.rfind('<');
  auto gt = from.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    return from.substr(lt + 1, gt - lt - 1);
  }
  return from;
}

std::string render_mail(const MailSettings& settings, const Mail& mail) {
  std::string domain = mail_address(settings.from);
  domain = domain.substr(domain.find('@') == std::string::npos ? 0 : domain.find('@') + 1);
  std::string msg;
  msg += "Date: " + rfc5322_date() + "\r\n";
  msg += "From: " + settings.from + "\r\n";
  msg += "To: <" + mail.to + ">\r\n";
  msg += "Message-ID: <" + auth::random_token(16) + "@" + domain + ">\r\n";
  msg += "Subject: " + mail.subject + "\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=utf-8\r\n";
  msg += "Content-Transfer-Encoding: 8bit\r\n\r\n";
  for (char c : mail.body) {
    if (c == '\n')
      msg += "\r\n";
    else if (c != '\r')
      msg += c;
  }
  if (!msg.ends_with("\r\n")) msg += "\r\n";
  return msg;
}

void send_mail(const MailSettings& settings, const Mail& mail) {
  if (settings.url.empty()) throw std::runtime_error("no SMTP server configured (MMX_SMTP_URL)");
  if (!header_safe(mail.to) || mail.to.find_first_of("<>") != std::string::npos ||
      !header_safe(mail.subject) || !header_safe(settings.from)) {
    throw std::runtime_error("refusing an email whose headers hold line breaks");
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  Upload up{render_mail(settings, mail)};
  const std::string from = "<" + mail_address(settings.from) + ">";
  const std::string to = "<" + mail.to + ">";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(
      curl_slist_append(nullptr, to.c_str()), curl_slist_free_all);
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.timeout.count()));
  if (!settings.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("SMTP: ") + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
}

}  // namespace mmx::auth_service
