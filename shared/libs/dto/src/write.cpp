#include "mmx/dto/detail/write.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <boost/json/detail/config.hpp>
// The serializer's own number formatting (exported by libboost_json): using it is what makes
// doubles equal to boost::json::serialize's, down to "1E300" and "-0E0".
#include <boost/json/detail/format.hpp>

namespace mmx::dto::detail {

namespace {

// boost/json/impl/serializer.ipp (1.81), write_string: 0 = copied, 'u' = \u00xx, else \ + that.
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 'u';
  table['\b'] = 'b';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\f'] = 'f';
  table['\r'] = 'r';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}();

constexpr char kHex[] = "0123456789abcdef";

constexpr std::uint64_t kOnes = 0x0101010101010101;
constexpr std::uint64_t kHighs = 0x8080808080808080;

// Whether any of the 8 bytes is below 0x20, '"' or '\\' (exact for the word as a whole).
bool needs_escape(std::uint64_t w) {
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  return (below_space | ((quote - kOnes) & ~quote & kHighs) |
          ((backslash - kOnes) & ~backslash & kHighs)) != 0;
}

}  // namespace

void write_string(std::string& out, std::string_view text) {
  out.push_back('"');
  const char* p = text.data();
  const char* const end = p + text.size();
  const char* run = p;  // start of the bytes still to copy as they are
  for (;;) {
    for (std::uint64_t w; end - p >= 8; p += 8) {
      std::memcpy(&w, p, sizeof w);
      if (needs_escape(w)) break;
    }
    while (p != end && kEscape[static_cast<unsigned char>(*p)] == 0) ++p;
    if (p == end) break;
    out.append(run, static_cast<std::size_t>(p - run));
    const auto byte = static_cast<unsigned char>(*p);
    if (const char c = kEscape[byte]; c == 'u') {
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]};
      out.append(escaped, sizeof escaped);
    } else {
      const char escaped[2] = {'\\', c};
      out.append(escaped, sizeof escaped);
    }
    run = ++p;
  }
  out.append(run, static_cast<std::size_t>(end - run));
  out.push_back('"');
}

void write_double(std::string& out, double value) {
  char buffer[boost::json::detail::max_number_chars + 8];
  out.append(buffer, boost::json::detail::format_double(buffer, value));
}

}  // namespace mmx::dto::detail
