#pragma once
// Module init is synchronous and runs before the io threads: start-up database work (keys,
// seeding) runs to completion on an io_context of its own (the worker pool is already up).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace mmx::module {

template <class T>
T run_sync(boost::asio::awaitable<T> work) {
  boost::asio::io_context io;
  std::exception_ptr error;
  std::optional<T> result;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr ep, T value) {
    error = ep;
    if (!ep) result = std::move(value);
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace mmx::module
