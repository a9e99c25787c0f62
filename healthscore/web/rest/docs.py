"""The API's docs page, served offline: Swagger UI vendored from npm (swagger-ui-dist,
Apache-2.0, licence files beside it in ``static/swagger-ui``) over our own /openapi.json.

FastAPI's built-in /docs page loads Swagger UI from a CDN, which an air-gapped server
cannot reach and the web app's content-security policy forbids; `install_docs` replaces
it with this page.  The page has no inline script (the CSP allows scripts from this
server only): `init.js` starts Swagger UI.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

__all__ = ["DOCS_PATH", "STATIC_PATH", "docs_page", "install_docs"]

DOCS_PATH = "/api/docs"
STATIC_PATH = "/api/static"
STATIC_DIR = Path(__file__).parent / "static"


def docs_page(openapi_url: str, title: str) -> str:
    s = STATIC_PATH + "/swagger-ui"
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} — REST API</title>
  <link rel="stylesheet" href="{s}/swagger-ui.css">
</head>
<body>
  <main>
    <noscript>The interactive reference needs JavaScript; the contract itself is at
      <a href="{openapi_url}">{openapi_url}</a>.</noscript>
    <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  </main>
  <script src="{s}/swagger-ui-bundle.js"></script>
  <script src="{s}/init.js"></script>
</body>
</html>
"""


def install_docs(api: FastAPI) -> None:
    """Serve the offline docs page at /api/docs (and FastAPI's docs address, if set)."""
    openapi_url = api.openapi_url or "/openapi.json"
    paths = {DOCS_PATH}
    if api.docs_url:
        paths.add(api.docs_url)
    if api.redoc_url:
        paths.add(api.redoc_url)
    cdn_pages = paths | (
        {api.swagger_ui_oauth2_redirect_url} if api.swagger_ui_oauth2_redirect_url else set()
    )
    api.router.routes[:] = [
        r for r in api.router.routes if not (isinstance(r, Route) and r.path in cdn_pages)
    ]
    html = docs_page(openapi_url, api.title)

    async def page() -> HTMLResponse:
        return HTMLResponse(html)

    for path in sorted(paths):
        api.add_api_route(
            path, page, methods=["GET"], include_in_schema=False, name=f"api docs {path}"
        )
    api.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="api-static")
