#pragma once
// Structured logging: JSON lines on stdout (or a readable text form for terminals).
// Lines are buffered and flushed by a background thread so that an access log line costs a
// memcpy on the io thread, not a write(2); warnings and errors flush at once.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace mmx::log {

enum class Level { trace, debug, info, warn, error, off };
enum class Format { json, text };

// Parses "trace|debug|info|warn|error|off"; returns false on anything else.
bool parse_level(std::string_view s, Level& out);
std::string_view level_name(Level l);

struct Field {
  using Value = std::variant<std::string_view, std::int64_t, double, bool>;
  std::string_view key;
  Value value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  template <class I>
    requires std::is_integral_v<I>
  Field(std::string_view k, I v) : key(k), value(static_cast<std::int64_t>(v)) {}
};
using Fields = std::initializer_list<Field>;

// Correlation ids carried by every line logged on behalf of a request.
struct Context {
  std::string_view request_id;
  std::string_view trace_id;
  std::string_view span_id;
};

struct Options {
  Level level = Level::info;
  Format format = Format::json;
  int fd = 1;  // stdout; tests point it at a pipe
  bool color = false;
};

// Call once at start-up; safe to call again (tests do).
void configure(const Options& options);
bool enabled(Level level) noexcept;
// `service` is the module that logs ("backend", "http", ...).
void write(Level level, std::string_view service, std::string_view msg, const Context* ctx,
           Fields fields);
// Blocks until every buffered line is written; called at exit and after fatal errors.
void flush();

inline void info(std::string_view service, std::string_view msg, Fields f = {}) {
  if (enabled(Level::info)) write(Level::info, service, msg, nullptr, f);
}
inline void warn(std::string_view service, std::string_view msg, Fields f = {}) {
  if (enabled(Level::warn)) write(Level::warn, service, msg, nullptr, f);
}
inline void error(std::string_view service, std::string_view msg, Fields f = {}) {
  if (enabled(Level::error)) write(Level::error, service, msg, nullptr, f);
}
inline void debug(std::string_view service, std::string_view msg, Fields f = {}) {
  if (enabled(Level::debug)) write(Level::debug, service, msg, nullptr, f);
}

// Appends `s` to `out` as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace mmx::log
