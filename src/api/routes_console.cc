// The admin console's routes: its files (/console, /console/assets/{name}), compiled into the
// binary (console/console_assets.h), served with a strict Content-Security-Policy: the pages
// load only their own script and style and talk only to this server.
#include "api/api_service.h"
#include "console/console_assets.h"

namespace reco::api {
namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void WriteAsset(const HttpRequest& req, HttpResponse& res, const console::Asset& asset) {
  res.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  res.headers.emplace_back("X-Frame-Options", "DENY");
  // Revalidated on every load: a new binary serves new files at once.
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("ETag", std::string(asset.etag));
  if (req.Header("If-None-Match") == asset.etag) {
    res.status = 304;
    res.content_type.clear();
    return;
  }
  res.content_type = std::string(asset.content_type);
  res.body.assign(asset.body);
}

}  // namespace

void ApiService::AddConsoleRoutes(Router& r) {
  auto index = [](HttpRequest& req, HttpResponse& res) {
    const console::Asset* asset = console::FindAsset("index.html");
    if (asset == nullptr) return SetJsonError(res, 404, "the console has no index.html", "");
    WriteAsset(req, res, *asset);
  };
  // The router answers "/console/" with this route too.
  Add(r,
      {.method = "GET",
       .pattern = "/console",
       .summary = "The admin console (a page of this server; works offline).",
       .tag = "console",
       .response_schema = "html",
       .needs_api_key = false},
      index);
  Add(r,
      {.method = "GET",
       .pattern = "/console/assets/{name}",
       .summary = "A file of the admin console (script, style, image).",
       .tag = "console",
       .response_schema = "file",
       .needs_api_key = false},
      [](HttpRequest& req, HttpResponse& res) {
        const console::Asset* asset = console::FindAsset(req.Param("name"));
        if (asset == nullptr || asset->name == "index.html") {
          return SetJsonError(res, 404, "no console file named that", "name");
        }
        WriteAsset(req, res, *asset);
      });
}

}  // namespace reco::api
