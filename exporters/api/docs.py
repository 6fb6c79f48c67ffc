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


def mount_docs(app: FastAPI, prefix: str, title: str) -> None:
    """``{prefix}/docs``: Swagger UI on ``{prefix}/openapi.json``, its assets from
    ``{prefix}/docs/static``. Like the OpenAPI document, the page needs no token; the calls
    made from it do."""
    static = f"{prefix}/docs/static"
    app.mount(static, StaticFiles(directory=ASSETS), name="docs-static")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")  # behind a path proxy
        return get_swagger_ui_html(
            openapi_url=f"{root}{prefix}/openapi.json", title=f"{title} - docs",
            swagger_js_url=f"{root}{static}/{JS}", swagger_css_url=f"{root}{static}/{CSS}",
            swagger_favicon_url=f"{root}{static}/{FAVICON}",
            swagger_ui_parameters={"validatorUrl": None})
