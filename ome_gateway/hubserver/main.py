"""Running the offline Hub with uvicorn."""
from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn

from .server import build_app


async def serve(host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until cancelled; print the listening URL once the socket is bound and the app started."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections made as soon as the URL is printed wait in the backlog
    url = f"http://{host}:{sock.getsockname()[1]}"

    @contextlib.asynccontextmanager
    async def lifespan(app):
        print(f"hub listening on {url}", flush=True)
        yield

    config = uvicorn.Config(build_app(lifespan=lifespan), log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=1)
    await uvicorn.Server(config).serve(sockets=[sock])


def run(host: str = "127.0.0.1", port: int = 0) -> None:
    asyncio.run(serve(host, port))
