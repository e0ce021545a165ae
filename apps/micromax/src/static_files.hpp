#pragma once
#include "mmx/http/router.hpp"

namespace mmx::app {

// Serves the embedded web assets: /static/..., /docs (Swagger UI), /redoc.
// Strong ETags with 304s, gzip when the client accepts it, long caching for vendored
// files and revalidation for our own pages.
void mount_static_files(http::Router& router);

}  // namespace mmx::app
