// Starts Swagger UI on the service's own OpenAPI document (a file, not an inline script: the CSP forbids those).
const el = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: el.dataset.openapi,
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
