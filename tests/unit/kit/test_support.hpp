#pragma once
// Runs a coroutine to completion on a private io_context: unit tests call handlers and
// middleware synchronously.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace mmx::test {

template <class T>
T run(boost::asio::awaitable<T> a) {
  boost::asio::io_context ioc;
  auto f = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
  ioc.run();
  return f.get();
}

}  // namespace mmx::test
