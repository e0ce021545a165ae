#include "mmx/log/log.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "mmx/log/sink.hpp"

namespace mmx::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<bool> g_text{false};
std::atomic<bool> g_color{false};

constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};

void append_time(std::string& out) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto ms = duration_cast<milliseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<int>(ms));
  out.append(buf, static_cast<std::size_t>(n));
}

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_json_value(std::string& out, const Field::Value& v) {
  if (auto s = std::get_if<std::string_view>(&v)) {
    out += '"';
    append_json_escaped(out, *s);
    out += '"';
  } else if (auto i = std::get_if<std::int64_t>(&v)) {
    append_number(out, *i);
  } else if (auto d = std::get_if<double>(&v)) {
    append_number(out, *d);
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

void append_json_field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":\"";
  append_json_escaped(out, value);
  out += '"';
}

std::string format_json(Level level, std::string_view service, std::string_view msg,
                        const Context* ctx, Fields fields) {
  std::string out;
  out.reserve(256);
  out += "{\"ts\":\"";
  append_time(out);
  out += "\",\"level\":\"";
  out += level_name(level);
  out += '"';
  append_json_field(out, "service", service);
  append_json_field(out, "msg", msg);
  if (ctx) {
    if (!ctx->request_id.empty()) append_json_field(out, "request_id", ctx->request_id);
    if (!ctx->trace_id.empty()) append_json_field(out, "trace_id", ctx->trace_id);
    if (!ctx->span_id.empty()) append_json_field(out, "span_id", ctx->span_id);
  }
  for (const auto& f : fields) {
    out += ",\"";
    append_json_escaped(out, f.key);
    out += "\":";
    append_json_value(out, f.value);
  }
  out += "}\n";
  return out;
}

std::string format_text(Level level, std::string_view service, std::string_view msg,
                        const Context* ctx, Fields fields) {
  static constexpr std::string_view kColors[] = {"\x1b[90m", "\x1b[36m", "\x1b[32m",
                                                 "\x1b[33m", "\x1b[31m", ""};
  const bool color = g_color.load(std::memory_order_relaxed);
  std::string out;
  out.reserve(160);
  append_time(out);
  out += ' ';
  if (color) out += kColors[static_cast<int>(level)];
  std::string lvl(level_name(level));
  for (auto& c : lvl) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  lvl.resize(5, ' ');
  out += lvl;
  if (color) out += "\x1b[0m";
  out += " [";
  out += service;
  out += "] ";
  out += msg;
  auto kv = [&](std::string_view k, const Field::Value& v) {
    out += ' ';
    if (color) out += "\x1b[90m";
    out += k;
    out += '=';
    if (color) out += "\x1b[0m";
    if (auto s = std::get_if<std::string_view>(&v)) {
      bool quote = s->empty() || s->find_first_of(" \"=") != std::string_view::npos;
      if (quote) out += '"';
      out += *s;
      if (quote) out += '"';
    } else {
      append_json_value(out, v);
    }
  };
  if (ctx && !ctx->request_id.empty()) kv("request_id", ctx->request_id);
  for (const auto& f : fields) kv(f.key, f.value);
  out += '\n';
  return out;
}

}  // namespace

bool parse_level(std::string_view s, Level& out) {
  for (int i = 0; i < 6; ++i) {
    if (kNames[i] == s) {
      out = static_cast<Level>(i);
      return true;
    }
  }
  if (s == "warning") {
    out = Level::warn;
    return true;
  }
  return false;
}

std::string_view level_name(Level l) { return kNames[static_cast<int>(l)]; }

void configure(const Options& options) {
  g_level.store(static_cast<int>(options.level));
  g_text.store(options.format == Format::text);
  g_color.store(options.color);
  detail::sink_configure(options.fd);
}

bool enabled(Level level) noexcept {
  return level != Level::off &&
         static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view service, std::string_view msg, const Context* ctx,
           Fields fields) {
  if (!enabled(level)) return;
  std::string line = g_text.load(std::memory_order_relaxed)
                         ? format_text(level, service, msg, ctx, fields)
                         : format_json(level, service, msg, ctx, fields);
  detail::sink_append(line, level >= Level::warn);
}

void flush() { detail::sink_flush(); }

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

}  // namespace mmx::log
