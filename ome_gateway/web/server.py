"""Running the gateway under uvicorn."""
from __future__ import annotations

import uvicorn

from ..config import Settings
from .. import tracing
from . import logs
from .app import create_app


def run(settings: Settings) -> None:
    logs.configure(settings.log_level)
    tracing.configure(settings.tracing)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                log_level=settings.log_level, access_log=False,
                timeout_graceful_shutdown=5)  # open subscriptions get 5 s, then are closed
