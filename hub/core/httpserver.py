"""The hub's HTTP side: the FastAPI app and the uvicorn thread that serves it.

The composition root (:mod:`hub.app`) adds ``GET /healthz``, the web kit adds the pages the areas
hand it; the server starts after every area is attached.
"""

from __future__ import annotations

import logging
import socket
import threading

import uvicorn
from fastapi import FastAPI

from gwcommon.exc import GatewardenError
from hub.core.httpguard import HttpGuard

logger = logging.getLogger(__name__)


class ListenError(GatewardenError, OSError):
    """The web view cannot listen on the configured address."""


def create_app() -> FastAPI:
    """The hub's FastAPI app (no docs pages: FastAPI's load their scripts from a CDN), with body
    limits and security headers on every route (:mod:`hub.core.httpguard`)."""
    app = FastAPI(title="gatewarden hub", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(HttpGuard)
    return app


class WebServer:
    """uvicorn serving the app in a daemon thread on ``host:port`` (port 0: any free port)."""

    def __init__(self, app: FastAPI, listen: str):
        host, _, port = listen.rpartition(":")
        self.host = host or "0.0.0.0"
        self.port = int(port)
        self.app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> None:
        sock = self._bind()
        self.port = sock.getsockname()[1]
        # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For/-Proto from 127.0.0.1
        # whatever [web] trusted_proxies says; the web view reads them itself, from trusted proxies only
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off",
                                proxy_headers=False, server_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="hub-web", daemon=True)
        self._thread.start()
        done = threading.Event()
        while not done.wait(0.02):
            if self._server.started or not self._thread.is_alive() or timeout <= 0:
                break
            timeout -= 0.02
        if not self._server.started:
            raise ListenError(f"web view did not start on {self.host}:{self.port}")
        logger.info("web view listening on http://%s:%s", self.host, self.port)

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ListenError(f"web.listen: cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        sock.listen(128)
        return sock

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None
