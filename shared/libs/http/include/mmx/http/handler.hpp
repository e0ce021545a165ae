#pragma once
#include <boost/asio/awaitable.hpp>
#include <functional>

#include "mmx/http/request.hpp"
#include "mmx/http/response.hpp"

namespace mmx::http {

template <class T>
using awaitable = boost::asio::awaitable<T>;

using Handler = std::function<awaitable<Response>(Request&)>;

}  // namespace mmx::http
