"""A local HTTP receiver for webhook notifications (what apprise's json:// posts), the
one stand-in for DingTalk / WeCom / SMS gateways in the tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hook:
    """A webhook on 127.0.0.1. By default it accepts everything; it can also fail the
    first ``fail_first`` POSTs (HTTP 500), every POST (``down``), or hold POSTs unanswered
    until ``release`` is set (``slow``, to kill a sender mid-request).

    ``seen``: every POST body; ``accepted``: those answered 200; ``received``: accepted
    bodies with their ``path``, plus GET pings (dead-man's switch) as ``{"ping": True}``.
    """

    def __init__(self, fail_first: int = 0, down: bool = False, slow: bool = False) -> None:
        self.fail_first, self.down, self.slow = fail_first, down, slow
        self.seen: list[dict] = []
        self.accepted: list[dict] = []
        self.received: list[dict] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _ok(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.seen.append(body)
                    n = len(outer.seen)
                if outer.slow:
                    outer.release.wait(60)  # never answered while held
                    self.send_response(503)
                    self.end_headers()
                    return
                if outer.down or n <= outer.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                with outer.lock:
                    outer.accepted.append(body)
                    outer.received.append({"path": self.path, **body})
                self._ok()

            def do_GET(self):  # noqa: N802 - dead-man's switch pings
                with outer.lock:
                    outer.received.append({"path": self.path, "ping": True})
                self._ok()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.base + path

    def messages(self, path: str | None = None) -> list[dict]:
        with self.lock:
            return [m for m in self.received if not m.get("ping")
                    and (path is None or m["path"].startswith(path))]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
