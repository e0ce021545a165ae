// Starts Swagger UI on /static/docs.html. A separate file, not an inline <script>, so the page
// works under a Content-Security-Policy that allows scripts from 'self' only.
"use strict";

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // Keep the token from "Authorize" across reloads (stored in this origin's localStorage).
  persistAuthorization: true,
  // Absolute URL, registered as a redirect URI of the Swagger UI OAuth2 client.
  oauth2RedirectUrl: window.location.origin + "/static/swagger-ui/oauth2-redirect.html",
  // The default sends the spec URL to validator.swagger.io and shows its badge image:
  // an external fetch, and our contracts are validated in CI anyway.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "StandaloneLayout",
});
