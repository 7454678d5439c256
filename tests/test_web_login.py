"""The login rate limit against a real console server (uvicorn on a local port): many
wrong passwords sent at once, or under changing X-Forwarded-For addresses, still get no
more than ``web.max_failed_logins`` tries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import free_port
from tests.web_support import PASSWORDS, csrf_of, now


@pytest.fixture
def console(tmp_path, monkeypatch):
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    from web.app import console_db
    from web.cli import start_background
    from yuqing.config import load_config

    cfg = load_config(None)
    console_db(cfg).add_user("li", "officer", PASSWORDS["li"], now())
    port = free_port()
    server = start_background(cfg, "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True


def _try(base: str, password: str, headers: dict[str, str] | None = None) -> str:
    """One login attempt from a fresh browser: where it was sent (error=bad / locked)."""
    with httpx.Client(base_url=base, timeout=60) as c:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": "li", "password": password, "csrf": token},
                   headers=headers or {})
    assert r.status_code == 303
    return r.headers["location"]


def test_parallel_wrong_passwords_get_no_more_tries_than_the_limit(console):
    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(lambda _: _try(console, "guess"), range(20)))
    # Every attempt read the failure count before any was written: all 20 were checked.
    assert sum("error=bad" in o for o in outcomes) == 5, outcomes
    assert sum("error=locked" in o for o in outcomes) == 15
    assert "error=locked" in _try(console, PASSWORDS["li"])


def test_forwarded_for_does_not_reset_the_limit(console):
    outcomes = [_try(console, "guess", {"X-Forwarded-For": f"203.0.113.{n}"})
                for n in range(8)]
    assert [("error=bad" in o) for o in outcomes] == [True] * 5 + [False] * 3
