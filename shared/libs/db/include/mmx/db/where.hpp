#pragma once
// The WHERE clause of a list query with optional filters, its placeholders numbered as the
// parameters are bound, so a page query and its count share one clause:
//
//   db::Where w;
//   if (q.actor) w.add("actor = " + w.bind(*q.actor));
//   db::Params count_params = w.params();            // before LIMIT/OFFSET are bound
//   std::string sql = "SELECT ... FROM t" + w.sql() + " LIMIT " + w.bind(q.limit);
//   co_await db.fetch_all_params<Row>(sql, w.take_params());
#include <string>
#include <string_view>
#include <utility>

#include "mmx/db/convert.hpp"

namespace mmx::db {

class Where {
 public:
  // Adds a parameter; returns its placeholder ("$3").
  template <class T>
  std::string bind(const T& value) {
    params_.push_back(to_db_value(value));
    return "$" + std::to_string(params_.size());
  }
  // ANDs a condition in.
  void add(std::string_view condition) {
    sql_ += sql_.empty() ? " WHERE " : " AND ";
    sql_ += condition;
  }
  // " WHERE a AND b", or "" without conditions.
  const std::string& sql() const { return sql_; }
  const Params& params() const { return params_; }
  Params take_params() { return std::move(params_); }

 private:
  std::string sql_;
  Params params_;
};

}  // namespace mmx::db
