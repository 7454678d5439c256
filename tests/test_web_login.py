"""The login rate limit against a real console server (uvicorn on a local port): many
wrong passwords sent at once, or under changing X-Forwarded-For addresses, still get no
more than ``web.max_failed_logins`` tries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import free_port
from tests.web_support import PASSWORDS, ROLES, csrf_of, now


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


# ---- password spraying and device cookies (TestClient, real SQLite, no cluster needed) ----

OFFICE = ("10.1.1.1", 40000)  # the office's reverse proxy: every user's address


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    from web.app import create_app
    from yuqing.config import load_config

    application = create_app(load_config(None))
    for name, password in PASSWORDS.items():
        application.state.db.add_user(name, ROLES[name], password, now())
    return application


def _client(app, address=OFFICE, cookies=None):
    from fastapi.testclient import TestClient

    return TestClient(app, client=address, cookies=cookies)


def _attempt(c, name: str, password: str) -> httpx.Response:
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": name, "password": password, "csrf": token},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return r


def _outcome(r: httpx.Response) -> str:
    where = r.headers["location"]
    return "locked" if "error=locked" in where else "bad" if "error=bad" in where else "in"


def _device_cookie(app, name: str) -> tuple[str, str]:
    """A browser's device cookie for ``name``, got the ordinary way: by logging in."""
    from web.devices import cookie_name

    r = _attempt(_client(app, ("10.9.9.9", 1)), name, PASSWORDS[name])
    assert _outcome(r) == "in"
    return cookie_name(name), r.cookies[cookie_name(name)]


def _limited_audit(app) -> list[dict]:
    return [e for e in app.state.db.audit_log() if e["action"] == "login.limited"]


def test_spraying_many_names_from_one_address_is_stopped(app):
    attacker = _client(app)
    names = ["li", "wang", "zhao"] + [f"user{n}" for n in range(27)]
    outcomes = [_outcome(_attempt(attacker, n, "Spring2026!")) for n in names]
    # No name got more than one try, so only the per-address cap can have stopped it.
    assert outcomes == ["bad"] * 20 + ["locked"] * 10
    # Limited, a real user's right password and an unknown name read the same.
    known, unknown = _attempt(attacker, "li", PASSWORDS["li"]), _attempt(attacker, "nobody", "x")
    assert known.headers["location"] == unknown.headers["location"]
    assert "登录失败次数过多，请稍后再试" in attacker.get(known.headers["location"]).text
    # Another address is not affected; the limit hit is audited once, without passwords.
    assert _outcome(_attempt(_client(app, ("10.2.2.2", 1)), "li", PASSWORDS["li"])) == "in"
    [entry] = _limited_audit(app)
    assert entry["ip"] == OFFICE[0] and entry["target"] is None and "地址" in entry["detail"]
    assert "Spring2026" not in str(app.state.db.audit_log())


def test_a_user_with_a_device_cookie_logs_in_while_the_address_and_name_are_limited(app):
    li = dict([_device_cookie(app, "li")])
    attacker = _client(app)
    for n in range(25):
        _attempt(attacker, "li" if n < 6 else f"user{n}", "guess")
    assert _outcome(_attempt(_client(app), "li", PASSWORDS["li"])) == "locked"
    assert _outcome(_attempt(_client(app, ("10.3.3.3", 1)), "li", PASSWORDS["li"])) == \
        "locked", "the name stays limited for browsers without its cookie"
    # li's own browser, same address: typos count against its cookie only, then it is in.
    browser = _client(app, cookies=li)
    assert [_outcome(_attempt(browser, "li", "typo")) for _ in range(2)] == ["bad", "bad"]
    r = _attempt(browser, "li", PASSWORDS["li"])
    assert _outcome(r) == "in"
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("yq_device_"))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/login" in cookie
    assert "Max-Age=31536000" in cookie
    # The cookie is limited too: guessing with a stolen one does not go on for ever.
    thief = _client(app, ("10.4.4.4", 1), cookies=li)
    assert [_outcome(_attempt(thief, "li", "guess")) for _ in range(6)] == \
        ["bad"] * 5 + ["locked"]
    assert {e["detail"][:3] for e in _limited_audit(app)} == {"此地址", "此用户", "此浏览"}


def test_a_forged_tampered_or_other_users_device_cookie_gives_no_exemption(app):
    from datetime import timedelta

    from web.devices import cookie_name, issue

    name, genuine = _device_cookie(app, "li")
    _, zhaos = _device_cookie(app, "zhao")
    for _ in range(5):
        _attempt(_client(app), "li", "guess")
    head, mac = genuine.rsplit(".", 1)
    key = app.state.device_key
    fakes = {
        "another user's": zhaos,
        "tampered": f"{head}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}",
        "re-dated": ".".join(["v1", "1999999999", *genuine.split(".")[2:]]),
        "other key": issue(b"not-the-console-key", "li", now()),
        "expired": issue(key, "li", now() - timedelta(days=400)),
        "garbage": "v1.x.y",
    }
    for what, value in fakes.items():
        r = _attempt(_client(app, cookies={name: value}), "li", PASSWORDS["li"])
        assert _outcome(r) == "locked", what
    # zhao's cookie under zhao's own name does not help li either.
    r = _attempt(_client(app, cookies={cookie_name("zhao"): zhaos}), "li", PASSWORDS["li"])
    assert _outcome(r) == "locked"
    assert _outcome(_attempt(_client(app, cookies={name: genuine}), "li",
                             PASSWORDS["li"])) == "in"


def test_untrusted_browsers_are_limited_per_name_whatever_their_address(app):
    for n in range(5):
        assert _outcome(_attempt(_client(app, (f"10.5.5.{n}", 1)), "li", "guess")) == "bad"
    assert _outcome(_attempt(_client(app, ("10.6.6.6", 1)), "li", PASSWORDS["li"])) == "locked"
    # The name's lock is not the address's: another user at those addresses logs in.
    assert _outcome(_attempt(_client(app, ("10.5.5.0", 1)), "wang", PASSWORDS["wang"])) == "in"


def test_device_cookies_outlive_a_restart_and_the_key_stays_private(app, tmp_path):
    from web.app import create_app
    from yuqing.config import load_config

    li = dict([_device_cookie(app, "li")])
    for _ in range(5):
        _attempt(_client(app), "li", "guess")
    key = tmp_path / "var" / "state" / "console.key"
    assert key.stat().st_mode & 0o077 == 0
    again = create_app(load_config(None))  # same data dir: same key file
    assert _outcome(_attempt(_client(again, cookies=li), "li", PASSWORDS["li"])) == "in"


def test_device_key_from_the_environment_and_the_address_cap_validated(tmp_path, monkeypatch):
    from pydantic import ValidationError

    from web.devices import console_key
    from web.settings import WebConfig
    from yuqing.config import ConfigError, load_config

    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "var"))
    cfg = load_config(None)
    cfg = cfg.model_copy(update={"web": cfg.web.model_copy(
        update={"secret_env": "YQ_TEST_CONSOLE_KEY"})})
    monkeypatch.delenv("YQ_TEST_CONSOLE_KEY", raising=False)
    with pytest.raises(ConfigError, match="YQ_TEST_CONSOLE_KEY"):
        console_key(cfg)
    monkeypatch.setenv("YQ_TEST_CONSOLE_KEY", "k" * 40)
    assert console_key(cfg) == b"k" * 40
    assert not (tmp_path / "var" / "state" / "console.key").exists()
    with pytest.raises(ValidationError, match="lockout_per_address"):
        WebConfig(max_failed_logins=5, lockout_per_address=3)
