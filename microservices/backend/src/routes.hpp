#pragma once
// The backend's HTTP API, one file per area.
#include <memory>

#include "mmx/http/router.hpp"
#include "service.hpp"

namespace mmx::backend {

void mount_product_routes(http::Router& router, std::shared_ptr<Service> svc);
void mount_order_routes(http::Router& router, std::shared_ptr<Service> svc);
void mount_internal_routes(http::Router& router, std::shared_ptr<Service> svc);

}  // namespace mmx::backend
