#include "mmx/errors/problem.hpp"

#include <boost/json/serialize.hpp>

#include "mmx/exec/worker_pool.hpp"

namespace mmx::errors {

std::string problem_json(const HttpError& e, std::string_view instance,
                         std::string_view request_id) {
  boost::json::object o;
  o["type"] = e.type();
  o["title"] = e.title();
  o["status"] = e.status();
  if (!e.detail().empty()) o["detail"] = e.detail();
  if (!instance.empty()) o["instance"] = instance;
  if (!request_id.empty()) o["request_id"] = request_id;
  if (!e.field_errors().empty()) {
    boost::json::array errs;
    errs.reserve(e.field_errors().size());
    for (const auto& fe : e.field_errors()) {
      errs.push_back(boost::json::object{{"pointer", fe.pointer}, {"detail", fe.message}});
    }
    o["errors"] = std::move(errs);
  }
  for (const auto& [k, v] : e.extensions()) {
    if (!o.contains(k)) o[k] = v;
  }
  return boost::json::serialize(o);
}

HttpError to_http_error(std::exception_ptr ep) noexcept {
  try {
    std::rethrow_exception(ep);
  } catch (const HttpError& e) {
    return e;
  } catch (const dto::ValidationError& e) {
    return unprocessable(e.errors());
  } catch (const exec::Overloaded&) {
    return service_unavailable("The server is overloaded; retry shortly.", 1);
  } catch (...) {
    return internal_error();
  }
}

}  // namespace mmx::errors
