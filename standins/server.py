"""What every stand-in shares: its HTTP server on 127.0.0.1, served from a daemon thread, how it starts
and stops, how it serves from the command line, and the handler of the stand-ins that answer JSON."""

import json
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


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

    def serve_until_stopped(self, banner: Callable[[], str]) -> None:
        """Serve until SIGTERM or SIGINT (a command's run): what `banner` says once listening (its port known)
        is printed, the base URL on its first line."""
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        self.start()
        sys.stdout.write(banner())
        sys.stdout.flush()
        try:
            while not stopped.wait(0.5):
                pass
        finally:
            self.stop()


@dataclass
class JsonAnswer:
    """A stand-in's answer: `drop` applies the request and closes the connection without answering (a lost answer)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class JsonStandIn(StandInServer):
    """A stand-in whose requests JsonHandler answers: `handle` gives each one's answer, sent after `answer_delay`."""

    def handle(self, method: str, target: str, authorization: str, raw: bytes) -> JsonAnswer:
        raise NotImplementedError

    def answer_delay(self) -> float:
        return 0.0

    def serving(self) -> AbstractContextManager[object]:
        """Held while a request is handled and its answer delayed (a stand-in counts what is in flight)."""
        return nullcontext()


class JsonHandler(BaseHTTPRequestHandler):
    owner: JsonStandIn
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, each answer would stall ~40 ms on the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        owner = self.owner
        with owner.serving():
            answer = owner.handle(self.command, self.path, self.headers.get("authorization", ""), raw)
            delay = owner.answer_delay()
            if delay > 0:
                owner._stopping.wait(delay)
        if answer.drop:
            self.close_connection = True  # the write is applied; the client never hears of it
            return
        body = json.dumps(answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
