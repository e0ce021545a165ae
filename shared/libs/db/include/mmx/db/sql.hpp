#pragma once
// SQL text as the query methods take it. A string literal is referred to, not copied: it
// lives as long as the program, so an awaitable that runs later (co_spawn) can still read
// it. Any other text (std::string, string_view, const char*) is copied into the Sql, which
// the statement's coroutine owns.
//
// The one thing to know: a char array is taken to be a string literal (or other text with
// static storage, like a namespace-scope `constexpr char kSql[] = "..."`). SQL built in a
// local char buffer must be passed as std::string or std::string_view.
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace mmx::db {

class Sql {
 public:
  template <std::size_t N>
  Sql(const char (&literal)[N]) noexcept  // NOLINT(google-explicit-constructor)
      : static_(literal), size_(N - 1) {}
  Sql(std::string text) noexcept  // NOLINT(google-explicit-constructor)
      : owned_(std::move(text)) {}
  template <class S>
  requires(std::is_convertible_v<const S&, std::string_view> && !std::is_array_v<S> &&
           !std::is_same_v<S, std::string> && !std::is_same_v<S, Sql>)
      Sql(const S& text)  // NOLINT(google-explicit-constructor)
      : owned_(std::string_view(text)) {}

  // Text the caller promises outlives every statement run with it and never changes (a
  // function-local `static const std::string`): referred to like a literal.
  static Sql persistent(std::string_view text) noexcept {
    Sql s;
    s.static_ = text.data();
    s.size_ = text.size();
    return s;
  }

  std::string_view text() const noexcept {
    return static_ ? std::string_view(static_, size_) : std::string_view(owned_);
  }

 private:
  Sql() = default;
  const char* static_ = nullptr;
  std::size_t size_ = 0;
  std::string owned_;
};

}  // namespace mmx::db
