// Starts Swagger UI on the registry's OpenAPI schema. A file of its own, not an inline script,
// so that the Content-Security-Policy can forbid inline scripts everywhere.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: false, // a link inside each operation's toggle button is nested interaction (axe)
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
