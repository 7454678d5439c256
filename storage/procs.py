"""Find the local node's process when its pid file is gone (deleted, or a wiped data dir).

Two ways, through /proc (Linux): the node ``LocalElasticsearch.start`` launched has
``HOME=<node home>`` in its environment, which tells our node from any other; and the
process listening on a TCP port says who holds the port when that is not our node.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

PROC = Path("/proc")
_LISTEN = "0A"  # TCP state code in /proc/net/tcp


def _pids() -> Iterator[int]:
    try:
        names = os.listdir(PROC)
    except OSError:
        return
    for name in names:
        if name.isdigit():
            yield int(name)


def _read(pid: int, what: str) -> bytes:
    try:
        return (PROC / str(pid) / what).read_bytes()
    except OSError:  # gone meanwhile, or another user's process we may not read
        return b""


def command_line(pid: int) -> str:
    return _read(pid, "cmdline").replace(b"\0", b" ").decode(errors="replace").strip()


def node_pid(home: Path) -> int | None:
    """The Elasticsearch server process started with ``HOME=home``, if one is alive."""
    want = b"HOME=" + os.fsencode(str(home))
    for pid in _pids():
        if want not in _read(pid, "environ").split(b"\0"):
            continue
        # The launcher's short-lived helper shares the environment; the server is the one.
        if b"org.elasticsearch.server" in _read(pid, "cmdline"):
            return pid
    return None


def listener_pid(port: int) -> int | None:
    """The process with a TCP socket listening on ``port`` (any address), if we can see it."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if len(f) > 9 and f[3] == _LISTEN and int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{f[9]}]")
    if not inodes:
        return None
    for pid in _pids():
        fd_dir = PROC / str(pid) / "fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd_dir / fd) in inodes:
                    return pid
            except OSError:
                continue
    return None
