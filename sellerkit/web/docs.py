"""`/docs` (Swagger UI) and `/redoc` (ReDoc) from the assets vendored in `static/`, so the
documentation works on a machine without internet access and loads nothing from another host."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/static"

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root, app = _root(request), request.app
    return get_swagger_ui_html(
        openapi_url=root + app.openapi_url,
        title=f"{app.title} API",
        swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC_PATH}/swagger-ui/favicon-32x32.png",
        # Swagger UI's default validator badge is an image from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root, app = _root(request), request.app
    return get_redoc_html(
        openapi_url=root + app.openapi_url,
        title=f"{app.title} API",
        redoc_js_url=f"{root}{STATIC_PATH}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{root}{STATIC_PATH}/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )


def mount_docs(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="static")
