"""``yuqing web`` and ``yuqing users ...``; wired into ``yuqing.cli`` via ``add_parsers``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from watch.calendar import configure
from yuqing.config import Config, load_config


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    w = subparsers.add_parser("web", help="the duty console (web pages + JSON API)")
    w.add_argument("--host", help="address to listen on (default: web.host, 127.0.0.1)")
    w.add_argument("--port", type=int, help="port (default: web.port, 8080)")
    u = subparsers.add_parser("users", help="console users: add, list, remove, token, hash")
    sub = u.add_subparsers(dest="users_action", required=True)
    add = sub.add_parser("add", help="add or update a user (password from $YUQING_PASSWORD "
                         "or a prompt)")
    add.add_argument("name")
    add.add_argument("--role", choices=["viewer", "officer", "admin"], default="viewer")
    sub.add_parser("list", help="users and roles")
    rm = sub.add_parser("remove", help="remove a user and end their sessions and tokens")
    rm.add_argument("name")
    tk = sub.add_parser("token", help="create an API token for a user (printed once)")
    tk.add_argument("name")
    tk.add_argument("--label", default="", help="what the token is for")
    sub.add_parser("hash", help="print an argon2 hash for `web.users[].password_hash`")


def _password() -> str:
    env = os.environ.get("YUQING_PASSWORD")
    if env:
        return env
    first = getpass.getpass("密码 / password: ")
    if first != getpass.getpass("再次输入 / again: "):
        raise ValueError("passwords differ")
    return first


def serve(cfg: Config, host: str, port: int) -> None:
    import uvicorn

    from .app import create_app

    uvicorn.run(create_app(cfg), host=host, port=port, log_level="warning",
                proxy_headers=False)


def run_web(args: argparse.Namespace) -> int:
    cfg = load_config(getattr(args, "config", None))
    configure(cfg.calendar)  # the console shows the watch level and its thresholds
    host, port = args.host or cfg.web.host, args.port or cfg.web.port
    print(f"yuqing console at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    serve(cfg, host, port)
    return 0


def run_users(args: argparse.Namespace) -> int:
    from .app import console_db
    from .db import hash_password, now

    cfg = load_config(getattr(args, "config", None))
    action = args.users_action
    try:
        if action == "hash":
            print(hash_password(_password()))
            return 0
        db = console_db(cfg)
        if action == "add":
            db.add_user(args.name, args.role, _password(), now())
            print(f"user {args.name} ({args.role}) saved in {db.path}")
        elif action == "list":
            for user in db.users():
                where = "config" if user.name in db.configured else "database"
                print(f"{user.name:<20} {user.role:<8} ({where})")
        elif action == "remove":
            if not db.remove_user(args.name):
                print(f"error: no user {args.name!r} in {db.path}", file=sys.stderr)
                return 1
            print(f"removed {args.name}")
        elif action == "token":
            print(db.new_token(args.name, args.label, now()))
    except KeyError as exc:
        print(f"error: no user {exc.args[0]!r}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def start_background(cfg: Config, host: str, port: int):  # -> uvicorn.Server
    """Serve the console from a daemon thread (the demo); returns once it listens."""
    import threading
    import time

    import uvicorn

    from .app import create_app

    # No proxy headers, as in ``serve``: a forged X-Forwarded-For would give every login
    # attempt a fresh address and so a fresh rate limit.
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host=host, port=port,
                                           log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError(f"the console did not start on {host}:{port}")
    return server
