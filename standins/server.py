"""What every stand-in shares: its HTTP server on 127.0.0.1, served from a daemon thread, and how it
starts and stops."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class BackgroundServer:
    def __init__(self, *, name: str) -> None:
        self.name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, handler: type[BaseHTTPRequestHandler], *, host: str, port: int) -> int:
        """Serve `handler` on (host, port); return the port (a free one when port is 0)."""
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class StandInServer:
    """A stand-in's lifecycle: `with StandIn() as standin:` serves its `handler`, whose requests reach
    the stand-in as `self.owner`; `_stopping` is set when it stops (so slow answers give up)."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self, *, name: str, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._stopping = threading.Event()
        self._server = BackgroundServer(name=name)

    def start(self) -> Self:
        bound = type("BoundHandler", (self.handler,), {"owner": self})
        self._stopping.clear()
        self.port = self._server.start(bound, host=self.host, port=self.port)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
