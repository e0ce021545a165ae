#include "mmx/db/rows.hpp"

#include <atomic>

namespace mmx::db {

void ResultBuilder::start(const RowView& columns) {
  result = Result{};
  result.columns.reserve(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) result.columns.emplace_back(columns.name(i));
}

bool ResultBuilder::row(const RowView& row) {
  auto& cells = result.rows.emplace_back();
  cells.reserve(row.size());
  for (std::size_t i = 0; i < row.size(); ++i) cells.push_back(row.value(i));
  return true;
}

bool ResultRowView::get_int(std::size_t i, std::int64_t& out) const {
  if (auto* v = std::get_if<std::int64_t>(&r_.rows[row_][i])) {
    out = *v;
    return true;
  }
  return false;
}

bool ResultRowView::get_text(std::size_t i, std::string_view& out) const {
  if (auto* v = std::get_if<std::string>(&r_.rows[row_][i])) {
    out = *v;
    return true;
  }
  return false;
}

bool ResultRowView::is_null(std::size_t i) const { return db::is_null(r_.rows[row_][i]); }

std::uint64_t next_shape_id() {
  static std::atomic<std::uint64_t> next{0};
  return ++next;
}

RowConsumer& ignore_rows() {
  struct Ignore final : RowConsumer {
    void start(const RowView&) override {}
    bool row(const RowView&) override { return true; }
  };
  static Ignore ignore;
  return ignore;
}

void replay(const Result& r, RowConsumer& consumer) {
  ResultRowView view(r);
  consumer.start(view);
  for (std::size_t k = 0; k < r.rows.size(); ++k) {
    view.at(k);
    if (!consumer.row(view)) break;
  }
}

}  // namespace mmx::db
