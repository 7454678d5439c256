"""A small local web server for the demo web and for the crawler tests' fixture sites.

Pages are registered in memory (bytes + headers), so a test can change a page between two
crawls. Every request is recorded, so tests can assert what was (not) fetched again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering: a slow site
    fail_first: int = 0  # answer 503 to this many requests first: a flaky site


class LocalSite:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.pages: dict[str, Page] = {}
        self.hits: Counter[str] = Counter()
        # Webhook side: every POST body received, with its path and arrival time.
        self.received: list[tuple[str, bytes, float]] = []
        self.received_event = threading.Event()
        # Concurrent requests for slow (delayed) pages: what a polite crawler keeps low.
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with site._lock:
                    site.hits[self.path] += 1
                    page = site.pages.get(self.path)
                    flaky = page is not None and page.fail_first > 0
                    if flaky:
                        page.fail_first -= 1
                if page is None:
                    self.send_error(404, "Not Found")
                    return
                if page.delay:
                    with site._lock:
                        site.in_flight += 1
                        site.max_in_flight = max(site.max_in_flight, site.in_flight)
                    time.sleep(page.delay)
                    with site._lock:
                        site.in_flight -= 1
                if flaky:
                    self.send_error(503, "Service Unavailable")
                    return
                etag = page.headers.get("ETag")
                modified = page.headers.get("Last-Modified")
                if (etag and self.headers.get("If-None-Match") == etag) or (
                        not etag and modified
                        and self.headers.get("If-Modified-Since") == modified):
                    self.send_response(304)
                    if etag:
                        self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                for k, v in page.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(page.body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with site._lock:
                    site.received.append((self.path, body, time.time()))
                site.received_event.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def add(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
            *, status: int = 200, encoding: str = "utf-8", delay: float = 0.0,
            fail_first: int = 0, **headers: str) -> str:
        data = body.encode(encoding) if isinstance(body, str) else body
        with self._lock:
            self.pages[path] = Page(data, content_type, status,
                                    {k.replace("_", "-"): v for k, v in headers.items()},
                                    delay, fail_first)
        return self.url(path)

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> LocalSite:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
