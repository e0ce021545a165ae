#pragma once
// The parameters of one statement made with the typed query methods
// (`co_await db.execute(sql, id, name)`), kept in the statement's coroutine frame.
//
// The frame must own them: the awaitable may be started after the caller's arguments are
// gone (co_spawn). Text is copied into a buffer inside this object, not into a std::string
// per argument, so a statement with a short text argument allocates nothing; text that does
// not fit, and blobs, get a heap block of their own. Everything else is a plain Param.
// Moving the object (into the frame) copies the buffer and re-points the views at it.
#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mmx/db/convert.hpp"
#include "mmx/db/value.hpp"

namespace mmx::db {

template <std::size_t N>
class Args {
 public:
  template <class... A>
  requires(sizeof...(A) == N) explicit Args(const A&... args) {
    std::size_t i = 0;
    (set(params_[i++], args), ...);
  }
  Args(Args&& o) noexcept : params_(o.params_), used_(o.used_), spill_(std::move(o.spill_)) {
    std::memcpy(text_, o.text_, used_);
    for (Param& p : params_) {
      if (p.kind == Param::Kind::text && p.data >= o.text_ && p.data < o.text_ + kText)
        p.data = text_ + (p.data - o.text_);
    }
  }
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;
  Args& operator=(Args&&) = delete;

  ParamSpan span() const noexcept { return {params_.data(), N}; }

 private:
  // Room for the text of a typical statement (names, emails, SKUs, short JSON); more
  // spills to the heap, one block per argument.
  static constexpr std::size_t kText = 240;

  template <class T>
  void set(Param& p, const T& v) {
    using namespace detail;
    if constexpr (std::is_same_v<T, Value>) {
      set_value(p, v);
    } else if constexpr (std::is_same_v<T, std::nullopt_t> || std::is_same_v<T, std::nullptr_t>) {
      p.kind = Param::Kind::null;
    } else if constexpr (is_optional_v<T>) {
      if (v) {
        set(p, *v);
      } else {
        p.kind = Param::Kind::null;
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      p.kind = Param::Kind::boolean;
      p.boolean = v;
    } else if constexpr (Integer<T>) {
      p.kind = Param::Kind::integer;
      p.integer = static_cast<std::int64_t>(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      p.kind = Param::Kind::real;
      p.real = static_cast<double>(v);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      set_text(p, std::string_view(v));
    } else {
      // Times, enums, JSON: converted as to_db_value does (the one set of rules), then
      // copied in like any other value.
      set_value(p, to_db_value(v));
    }
  }

  void set_value(Param& p, const Value& v) {
    p = param_of(v);
    if (p.kind == Param::Kind::text) {
      set_text(p, std::string_view(p.data, p.size));
    } else if (p.kind == Param::Kind::blob) {
      p.data = copy_out(p.data, p.size, false);
    }
  }

  void set_text(Param& p, std::string_view text) {
    p.kind = Param::Kind::text;
    p.size = text.size();
    if (text.size() < kText - used_) {
      char* at = text_ + used_;
      std::memcpy(at, text.data(), text.size());
      at[text.size()] = '\0';
      used_ += text.size() + 1;
      p.data = at;
    } else {
      p.data = copy_out(text.data(), text.size(), true);
    }
  }

  const char* copy_out(const char* data, std::size_t size, bool nul) {
    if (size == 0 && !nul) return "";  // an empty blob: never a null pointer
    auto block = std::make_unique<char[]>(size + (nul ? 1 : 0));
    std::memcpy(block.get(), data, size);
    if (nul) block[size] = '\0';
    return spill_.emplace_back(std::move(block)).get();
  }

  std::array<Param, N> params_{};
  std::size_t used_ = 0;
  std::vector<std::unique_ptr<char[]>> spill_;
  char text_[kText];
};

}  // namespace mmx::db
