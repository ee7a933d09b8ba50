"""The plate cameras' HTTP listener: ``POST /lpr/<camera id>`` (stdlib ``http.server`` in a thread).

Hostile input is normal here (the compound Wi-Fi is not trusted), so before anything is parsed:

* only ``POST`` to ``/lpr/<known camera id>`` (404 otherwise, 405 for other methods);
* the sender's address must be in the camera's ``allow`` list, when it has one (403);
* the camera's secret must match, as ``?key=`` or the ``X-Gatewarden-Key`` header (403);
* a ``Content-Length`` is required (411) and at most ``max_body_kb`` (413); the body is read with
  the socket's ``read_timeout``, so a slow sender is cut off;
* at most ``max_clients`` pushes are handled at once; more get 503 and the camera sends again.

Each refusal is counted and logged once per camera and reason; nothing is stored for it.  The push
itself goes to ``handle(camera_id, body, content_type) -> (status, content_type, bytes)``.
"""

from __future__ import annotations

import hmac
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from .config import LprConfig

logger = logging.getLogger(__name__)
Handle = Callable[[str, bytes, str], tuple[int, str, bytes]]


class LprServer:
    """Serve the cameras' pushes on ``config.listen`` until :meth:`stop`."""

    def __init__(self, config: LprConfig, handle: Handle, *, secrets: dict[str, str | None],
                 counters: Any, host: str | None = None, port: int | None = None):
        self.config, self.handle, self.secrets, self.counters = config, handle, secrets, counters
        self.cameras = {c.id: c for c in config.cameras}
        self._slots = threading.BoundedSemaphore(config.max_clients)
        self._logged: set[tuple[str, str]] = set()
        self.httpd = ThreadingHTTPServer((host or config.host, config.port if port is None else port), _handler(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self) -> "LprServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="lpr-http", daemon=True)
        self._thread.start()
        logger.info("plate cameras: listening on %s:%d for %s", self.config.host, self.port, ", ".join(self.cameras))
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def refuse(self, camera: str, reason: str, detail: str) -> None:
        self.counters[f"refused_{reason}"] += 1
        if (camera, reason) not in self._logged:
            self._logged.add((camera, reason))
            logger.warning("plate camera %s: push refused (%s): %s (counted from now on)", camera, reason, detail)

    def check(self, camera_id: str, address: str, query: str, header_key: str | None) -> tuple[int, str] | None:
        """None when the sender may push as ``camera_id``, else (status, reason)."""
        camera = self.cameras.get(camera_id)
        if camera is None:
            return 404, "unknown_camera"
        if not camera.allowed(address):
            return 403, "address"
        secret = self.secrets.get(camera_id)
        if secret:
            given = header_key or (parse_qs(query).get("key") or [""])[0]
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return 403, "secret"
        return None


def _handler(server: LprServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = server.config.read_timeout.total_seconds()
        server_version = "gatewarden-lpr"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as written: no 40 ms delayed-ACK stall

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            if not server._slots.acquire(blocking=False):
                server.refuse("*", "busy", f"more than {server.config.max_clients} pushes at once")
                return self._answer(503, "text/plain", b"busy, send again", close=True)
            try:
                self._post()
            finally:
                server._slots.release()

        def do_GET(self) -> None:  # noqa: N802
            self._answer(405, "text/plain", b"POST only", close=True)

        do_PUT = do_DELETE = do_GET  # noqa: N815

        def _post(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            camera = parts[1] if len(parts) == 2 and parts[0] == "lpr" else ""
            refusal = server.check(camera, self.client_address[0], url.query, self.headers.get("X-Gatewarden-Key"))
            if refusal is not None:
                server.refuse(camera[:32] or "?", refusal[1], f"{self.command} {url.path[:80]} from {self.client_address[0]}")
                return self._answer(refusal[0], "text/plain", refusal[1].encode(), close=True)
            body = self._body(camera)
            if body is not None:
                status, kind, data = server.handle(camera, body, self.headers.get("Content-Type", "").lower())
                self._answer(status, kind, data)

        def _body(self, camera: str) -> bytes | None:
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                server.refuse(camera, "no_length", "no Content-Length (chunked pushes are not accepted)")
                self._answer(411, "text/plain", b"Content-Length required", close=True)
                return None
            if int(length) > server.config.max_body_kb * 1024:
                server.refuse(camera, "too_big", f"{length} bytes (at most {server.config.max_body_kb} KiB)")
                self._answer(413, "text/plain", b"too large", close=True)
                return None
            try:
                body = self.rfile.read(int(length))
            except (TimeoutError, OSError):
                server.refuse(camera, "slow", "the body did not arrive within read_timeout")
                self.close_connection = True
                return None
            if len(body) != int(length):
                server.refuse(camera, "short", f"{len(body)} of {length} bytes arrived")
                self.close_connection = True
                return None
            return body

        def _answer(self, status: int, kind: str, data: bytes, *, close: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
            logger.debug("lpr http: " + format, *args)

    return Handler
