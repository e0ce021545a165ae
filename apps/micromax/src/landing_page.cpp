#include "mmx/app/build_info.hpp"
#include "kit_module.hpp"

namespace mmx::app {
namespace {

std::string escape_html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_landing_page(const KitState& state) {
  const auto& b = build_info();
  std::string rows;
  for (const auto* m : state.running) {
    rows += "<tr><td><code>" + escape_html(m->name) + "</code></td><td>" +
            escape_html(m->description) + "</td><td>";
    if (!m->docs_path.empty()) {
      rows += "<a href=\"" + escape_html(m->docs_path) + "\">docs</a>";
    }
    rows += "</td></tr>\n";
  }
  return R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MicroMax</title>
<link rel="stylesheet" href="/static/micromax.css">
</head><body><main>
<h1>MicroMax</h1>
<p>Version )" +
         escape_html(b.version) + " (" + escape_html(b.commit) + R"()</p>
<h2>Running modules</h2>
<table><thead><tr><th>module</th><th>what it does</th><th></th></tr></thead><tbody>
)" + rows + R"(</tbody></table>
<h2>Endpoints</h2>
<ul>
<li><a href="/docs">/docs</a> &mdash; Swagger UI</li>
<li><a href="/redoc">/redoc</a> &mdash; Redoc</li>
<li><a href="/openapi.json">/openapi.json</a> &mdash; OpenAPI 3.1</li>
<li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/version">/version</a></li>
<li><a href="/metrics">/metrics</a> &mdash; Prometheus</li>
</ul>
</main></body></html>
)";
}

}  // namespace mmx::app
