#include "mmx/dto/detail/path.hpp"

#include <string>
#include <utility>
#include <vector>

#include "utf8.hpp"

namespace mmx::dto::detail {

std::string Path::pointer() const {
  std::vector<const Path*> chain;
  for (const Path* p = this; p->kind_ != Kind::root; p = p->parent_) chain.push_back(p);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Path& p = **it;
    out += '/';
    if (p.kind_ == Kind::index) {
      out += std::to_string(p.index_);
      continue;
    }
    for (char c : sanitize_utf8(p.key_)) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

void fail(Errors& errors, const Path& path, std::string message) {
  errors.push_back(FieldError{path.pointer(), std::move(message)});
}

}  // namespace mmx::dto::detail
