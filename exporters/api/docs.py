"""The interactive API docs (Swagger UI), served from dcmon itself.

FastAPI's default docs page loads Swagger UI's JavaScript and CSS from a public CDN, so in an
air-gapped data centre it stays blank. Here the page references only dcmon's own URLs: the
Swagger UI files come from the ``fastapi-offline`` package (MIT, a dependency, which ships
Swagger UI's dist files) and are mounted under ``/api/v1/docs/static``. The online spec
validator is switched off too, so the page never calls out.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

#: Swagger UI's dist files as the fastapi-offline wheel installs them.
ASSETS = Path(str(files("fastapi_offline") / "static"))
#: The files the page loads, by role.
JS, CSS, FAVICON = "swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"


def mount_assets(app: FastAPI, prefix: str) -> None:
    """Swagger UI's files under ``{prefix}/docs/static`` (public: they are the library's own
    files; the page and the OpenAPI document need a token)."""
    app.mount(f"{prefix}/docs/static", StaticFiles(directory=ASSETS), name="docs-static")


def swagger_page(request: Request, prefix: str, title: str) -> HTMLResponse:
    """The docs page for ``{prefix}/openapi.json``, loading only dcmon's own URLs."""
    root = str(request.scope.get("root_path", "")).rstrip("/")  # behind a path proxy
    static = f"{root}{prefix}/docs/static"
    return get_swagger_ui_html(
        openapi_url=f"{root}{prefix}/openapi.json", title=f"{title} - docs",
        swagger_js_url=f"{static}/{JS}", swagger_css_url=f"{static}/{CSS}",
        swagger_favicon_url=f"{static}/{FAVICON}", swagger_ui_parameters={"validatorUrl": None})
