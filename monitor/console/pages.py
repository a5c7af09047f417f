"""HTML pages of the console and the offline /docs and /redoc; every figure on them comes from the public API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .i18n import DEFAULT_LANGUAGE, LANGUAGES, texts
from .security import SecurityHeaders

HERE = Path(__file__).parent
STATIC_URL = "/console/static"
LANG_COOKIE = "onestop_lang"

templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


def language(request: Request) -> str:
    """Return the console language: the cookie set by the switch, else Vietnamese."""
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def _page(request: Request, template: str, page: str, **context: object) -> HTMLResponse:
    lang = language(request)
    other = LANGUAGES[1 - LANGUAGES.index(lang)]
    t = texts(lang)
    ctx = {"t": t, "lang": lang, "other_lang": other, "page": page, "static": STATIC_URL, "here": request.url.path,
           "texts": t, **context}
    response = templates.TemplateResponse(request, template, ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    """Show every site's counters, queues, cameras and alerts, live."""
    return _page(request, "overview.html", "overview")


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, next: Annotated[str, Query(max_length=500)] = "/") -> HTMLResponse:
    """Show the token sign-in form (the token stays in the browser tab's session storage)."""
    return _page(request, "login.html", "login", next=_local(next))


@router.get("/cameras/{camera_id}", response_class=HTMLResponse)
def camera(request: Request, camera_id: str) -> HTMLResponse:
    """Show one camera: its blurred last frame with zones, boxes and anchor points drawn over it, live counts."""
    return _page(request, "camera.html", "camera", camera_id=camera_id)


@router.get("/cameras/{camera_id}/edit", response_class=HTMLResponse)
def editor(request: Request, camera_id: str) -> HTMLResponse:
    """Show the zone editor of one camera."""
    return _page(request, "editor.html", "editor", camera_id=camera_id)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request) -> HTMLResponse:
    """Show the place of the reports page (reports arrive with their own API)."""
    return _page(request, "reports.html", "reports")


def _local(url: str) -> str:
    # Only paths of this service: an open redirect would let a link send a signed-in user elsewhere.
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else "/"


@router.get("/lang/{code}")
def set_language(code: str, next: Annotated[str, Query(max_length=500)] = "/") -> Response:
    """Switch the console language (a cookie) and go back to the page."""
    response = RedirectResponse(_local(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="strict", httponly=True)
    return response


@router.get("/docs", response_class=HTMLResponse)
def swagger(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, from files this service serves."""
    return _page(request, "swagger.html", "docs", openapi_url=request.app.openapi_url)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over /openapi.json, from files this service serves."""
    return _page(request, "redoc.html", "redoc", openapi_url=request.app.openapi_url)


def install_console(app: FastAPI) -> None:
    """Add the console pages, their static files, offline /docs and /redoc, and the security headers.

    The app must be created with ``docs_url=None, redoc_url=None`` (FastAPI's own pages load from a CDN).
    """
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.add_middleware(SecurityHeaders)
