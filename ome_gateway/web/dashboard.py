"""The live dashboard: `/` serves the page, `/static/...` its stylesheet and ES modules (no build step)."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

# The page loads only its own files and talks only to its own origin (/graphql over HTTP and websocket).
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


async def index(request: Request) -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=HEADERS)


def routes() -> list:
    """The dashboard's routes, to add to the app's."""
    return [Route("/", index, methods=["GET", "HEAD"]), Mount("/static", StaticFiles(directory=STATIC), name="static")]
