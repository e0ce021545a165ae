#pragma once
// Rows as a driver holds them, read cell by cell. Typed fetches (fetch_all<T>, fetch_one<T>)
// map straight from the driver's buffers into structs, with no Value per cell and no
// intermediate Result: on SQLite that is most of what a query costs beyond the engine.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mmx/db/result.hpp"
#include "mmx/db/value.hpp"

namespace mmx::db {

// The current row (or, in RowConsumer::start, just the columns). Valid only during the call.
class RowView {
 public:
  virtual std::size_t size() const = 0;
  virtual std::string_view name(std::size_t i) const = 0;
  virtual Value value(std::size_t i) const = 0;
  // Fast paths: false when the cell is not of that type (callers fall back to value()).
  virtual bool get_int(std::size_t i, std::int64_t& out) const = 0;
  virtual bool get_text(std::size_t i, std::string_view& out) const = 0;
  virtual bool is_null(std::size_t i) const = 0;
  // Nonzero when the driver can vouch that every result with this id has the same column
  // names in the same order (one prepared statement), so a mapper built for one of them
  // fits the next; zero: unknown.
  virtual std::uint64_t shape_id() const { return 0; }

 protected:
  ~RowView() = default;
};

// Receives a statement's rows. start() comes first on every attempt, with the columns even
// when no row follows; a statement run again (an inline run given up, a read retried on a
// fresh connection) calls it again, and the consumer drops what it had. row() returns
// false when it wants no further row (fetch_one): a driver may then stop reading a
// statement that writes nothing; one that writes is always run to its end.
class RowConsumer {
 public:
  virtual void start(const RowView& columns) = 0;
  virtual bool row(const RowView& row) = 0;

 protected:
  ~RowConsumer() = default;
};

// Collects rows into a Result (for query(), and for drivers' execute()).
class ResultBuilder final : public RowConsumer {
 public:
  void start(const RowView& columns) override;
  bool row(const RowView& row) override;
  Result result;

  using result_type = Result;
  Result take(std::int64_t affected) {
    result.affected = affected;
    return std::move(result);
  }
};

// Reads no row, keeps the count of rows affected (execute()).
class AffectedRows final : public RowConsumer {
 public:
  void start(const RowView&) override {}
  bool row(const RowView&) override { return true; }
  using result_type = std::int64_t;
  std::int64_t take(std::int64_t affected) const { return affected; }
};

// A materialised Result replayed as rows (drivers that read whole results, like libpq).
class ResultRowView final : public RowView {
 public:
  explicit ResultRowView(const Result& r) : r_(r) {}
  void at(std::size_t row) { row_ = row; }
  std::size_t size() const override { return r_.columns.size(); }
  std::string_view name(std::size_t i) const override { return r_.columns[i]; }
  Value value(std::size_t i) const override { return r_.rows[row_][i]; }
  bool get_int(std::size_t i, std::int64_t& out) const override;
  bool get_text(std::size_t i, std::string_view& out) const override;
  bool is_null(std::size_t i) const override;

 private:
  const Result& r_;
  std::size_t row_ = 0;
};

// For statements whose rows nobody reads (execute()): stateless, shared by every caller.
RowConsumer& ignore_rows();

// A fresh nonzero shape id (drivers call it when a statement's columns are (re)read).
std::uint64_t next_shape_id();

// Feeds `consumer` from a Result (start, then every row).
void replay(const Result& r, RowConsumer& consumer);

}  // namespace mmx::db
