"""The embedded local Elasticsearch node: fetch, start, stop, status.

Elastic's minimal distribution (``integ-test-zip``) comes from Maven Central through the
``pom.xml`` beside this module. Elasticsearch refuses to run as root, so when we are root
the node runs as a dedicated system user. ``GET /`` may be absent on that distribution;
health is read from ``/_cluster/health`` and the version from ``/_nodes/_local``.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from yuqing.config import LocalNode

from . import procs

POM = Path(__file__).resolve().parent / "es" / "pom.xml"
MIN_JAVA = {8: 17, 9: 21}


class NodeError(Exception):
    """The local node could not be fetched, started or stopped; the message names the fix."""


@dataclass(frozen=True)
class NodeStatus:
    running: bool
    url: str
    health: str | None = None
    version: str | None = None
    pid: int | None = None  # our node's process, from the pid file or found by its home
    # Whoever listens on the port when no node of ours answers there (a hung or foreign one).
    port_holder: int | None = None


class LocalElasticsearch:
    def __init__(self, settings: LocalNode, home: Path, dist_root: Path | None = None,
                 jvm_dirs: tuple[Path, ...] = (Path("/usr/lib/jvm"),)):
        self.settings = settings
        self.version = os.environ.get("YUQING_ES_VERSION") or settings.version
        self.jvm_dirs = jvm_dirs
        self.home = Path(os.environ.get("YUQING_ES_HOME") or home).resolve()
        # Several nodes (e.g. a test node) can share one unpacked distribution.
        self.dist_root = Path(dist_root).resolve() if dist_root else self.home / "dist"
        self.port = int(os.environ.get("YUQING_ES_PORT") or settings.port)
        self.url = f"http://127.0.0.1:{self.port}"

    # -- paths -----------------------------------------------------------------------------
    @property
    def dist(self) -> Path:
        return self.dist_root / f"elasticsearch-{self.version}"

    @property
    def pid_file(self) -> Path:
        return self.home / "es.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "yuqing.log"

    # -- http ------------------------------------------------------------------------------
    def _get(self, path: str, timeout: float = 2.0) -> dict | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
                return json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def health(self) -> str | None:
        body = self._get("/_cluster/health")
        return body.get("status") if body else None

    def running_version(self) -> str | None:
        body = self._get("/_nodes/_local?filter_path=nodes.*.version")
        nodes = (body or {}).get("nodes") or {}
        return next((n.get("version") for n in nodes.values()), None)

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def find_pid(self) -> int | None:
        """Our node's process: the pid file's, else the server started with our home."""
        return self._pid() or procs.node_pid(self.home)

    def status(self) -> NodeStatus:
        health = self.health()
        pid = self.find_pid()
        holder = None if health is not None and pid else procs.listener_pid(self.port)
        return NodeStatus(
            running=health is not None, url=self.url, health=health,
            version=self.running_version() if health else None, pid=pid,
            port_holder=holder if holder != pid else None,
        )

    # -- fetch -----------------------------------------------------------------------------
    def fetch(self, out: TextIO | None = None) -> None:
        out = out or sys.stderr
        if (self.dist / "bin" / "elasticsearch").exists():
            return
        mvn = shutil.which("mvn")
        if not mvn:
            raise NodeError("Maven (mvn) not found: install it (apt-get install maven) so that "
                            "the Elasticsearch distribution can be fetched from Maven Central")
        target = self.dist_root
        target.mkdir(parents=True, exist_ok=True)
        print(f"Fetching Elasticsearch {self.version} from Maven Central "
              f"(first run only, ~100 MB)...", file=out, flush=True)
        cmd = [mvn, "-f", str(POM), "-Dstyle.color=never", "--no-transfer-progress",
               f"-Des.version={self.version}", f"-Des.unpack.dir={target}",
               "generate-resources"]
        # Maven prints one line per downloaded artefact: that is the progress display.
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout.splitlines():
            if "Downloaded from" in line or "ERROR" in line:
                print("  " + line.strip(), file=out, flush=True)
        if proc.returncode != 0 or not (self.dist / "bin" / "elasticsearch").exists():
            tail = "\n".join(proc.stdout.splitlines()[-15:])
            raise NodeError(
                f"Maven could not fetch org.elasticsearch.distribution.integ-test-zip:"
                f"elasticsearch:{self.version}: is Maven Central reachable "
                f"(proxy settings in ~/.m2/settings.xml)?\n{tail}")

    # -- java ------------------------------------------------------------------------------
    def java_home(self) -> Path:
        need = MIN_JAVA.get(int(self.version.split(".")[0]), 21)
        candidates: list[Path] = []
        for value in (self.settings.java_home, os.environ.get("ES_JAVA_HOME"),
                      os.environ.get("JAVA_HOME")):
            if value:
                candidates.append(Path(value))
        for jvm in self.jvm_dirs:
            if jvm.is_dir():
                candidates += sorted(jvm.iterdir(), key=_java_major, reverse=True)
        for home in candidates:
            if (home / "bin" / "java").exists() and _java_major(home) >= need:
                return home
        seen = ", ".join(f"{c} (Java {_java_major(c) or '?'})" for c in candidates) or "none"
        raise NodeError(
            f"Elasticsearch {self.version} needs Java {need}+; found: {seen}. "
            f"Install one (e.g. apt-get install openjdk-{need}-jdk-headless) or set "
            f"elasticsearch.local.java_home / ES_JAVA_HOME")

    # -- start / stop ----------------------------------------------------------------------
    def start(self, timeout: float = 180.0, out: TextIO | None = None) -> NodeStatus:
        out = out or sys.stderr
        st = self.status()
        if st.running:
            print(f"Elasticsearch already running at {self.url} ({st.health})", file=out)
            return st
        # By its home, not the pid file: a stale pid file may name a recycled pid.
        alive = procs.node_pid(self.home)
        if alive is not None:
            raise NodeError(f"the node's process (pid {alive}) is alive but does not answer at "
                            f"{self.url}: still starting, or hung (`yuqing es stop` stops it)")
        if _port_in_use(self.port):
            holder = f" (pid {st.port_holder})" if st.port_holder else ""
            raise NodeError(
                f"port {self.port} is in use by a program that is not Elasticsearch{holder}: "
                f"stop it, or choose another port (elasticsearch.local.port or YUQING_ES_PORT)")
        self.fetch(out)
        java = self.java_home()
        for sub in ("data", "logs", "tmp"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        uid, gid = self._run_as()
        if uid is not None:
            for root in {self.home, self.dist_root}:
                _chown_tree(root, uid, gid)
                _check_reachable(root, uid)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ES_JAVA_HOME": str(java),
            "ES_TMPDIR": str(self.home / "tmp"),
            "ES_JAVA_OPTS": f"-Xms{self.settings.heap} -Xmx{self.settings.heap}",
            "HOME": str(self.home),
        }
        cmd = [str(self.dist / "bin" / "elasticsearch"), "-d", "-p", str(self.pid_file),
               "-Ediscovery.type=single-node", "-Enetwork.host=127.0.0.1",
               f"-Ehttp.port={self.port}", "-Etransport.port=0",
               "-Expack.security.enabled=false", "-Expack.ml.enabled=false",
               f"-Epath.data={self.home / 'data'}", f"-Epath.logs={self.home / 'logs'}",
               "-Ecluster.name=yuqing",
               "-Ecluster.routing.allocation.disk.threshold_enabled=false"]
        started = time.monotonic()
        print(f"Starting Elasticsearch {self.version} on {self.url} "
              f"(Java {_java_major(java)}, heap {self.settings.heap})...", file=out, flush=True)
        console = self.home / "logs" / "console.log"
        with open(console, "ab") as log:
            proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  user=uid, group=gid, cwd=self.home)
        if proc.returncode != 0:
            raise NodeError(f"Elasticsearch failed to start (exit {proc.returncode}); "
                            f"see {console}:\n{_tail(console)}")
        while time.monotonic() - started < timeout:
            health = self.health()
            if health in ("yellow", "green"):
                st = self.status()
                print(f"Elasticsearch {st.version} is {health} at {self.url} "
                      f"after {time.monotonic() - started:.1f}s", file=out)
                return st
            if self._pid() is None and time.monotonic() - started > 5:
                raise NodeError(f"Elasticsearch exited during start-up; see {self.log_file}:\n"
                                f"{_tail(self.log_file)}")
            time.sleep(0.5)
        raise NodeError(f"Elasticsearch did not become healthy within {timeout:.0f}s; "
                        f"see {self.log_file}")

    def stop(self, timeout: float = 60.0, out: TextIO | None = None) -> bool:
        out = out or sys.stderr
        pid = self._pid()
        if pid is None:
            pid = procs.node_pid(self.home)
            if pid is not None:
                print(f"no pid file at {self.pid_file}; found the node by its home "
                      f"{self.home}: pid {pid}", file=out)
        if pid is None:
            holder = procs.listener_pid(self.port)
            if holder is not None:
                raise NodeError(f"port {self.port} is held by pid {holder} "
                                f"({procs.command_line(holder)[:80] or '?'}), which is not the "
                                f"node of {self.home}: stop it yourself (kill {holder})")
            if self.health() is not None:
                raise NodeError(f"an Elasticsearch answers at {self.url} but it was not started "
                                f"by yuqing (no pid in {self.pid_file}); stop it yourself")
            print("Elasticsearch is not running", file=out)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.3)
        else:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        print(f"Elasticsearch (pid {pid}) stopped", file=out)
        return True

    def _run_as(self) -> tuple[int | None, int | None]:
        if os.geteuid() != 0:
            return None, None
        name = self.settings.user
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                            "/usr/sbin/nologin", name], check=True)
            entry = pwd.getpwnam(name)
        return entry.pw_uid, entry.pw_gid


def _java_major(home: Path) -> int:
    try:
        for line in (home / "release").read_text().splitlines():
            if line.startswith("JAVA_VERSION="):
                v = line.split("=", 1)[1].strip('"')
                return int(v.split(".")[0] if not v.startswith("1.") else v.split(".")[1])
    except (OSError, ValueError):
        pass
    return 0


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _chown_tree(root: Path, uid: int, gid: int | None) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, gid if gid is not None else -1)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), uid, gid if gid is not None else -1,
                     follow_symlinks=False)


def _check_reachable(home: Path, uid: int) -> None:
    """The node's user must be able to walk down to its home; say which directory blocks it."""
    for parent in reversed(home.parents):
        st = parent.stat()
        if st.st_uid != uid and not st.st_mode & 0o001:
            raise NodeError(
                f"directory {parent} is not searchable by the Elasticsearch user "
                f"(mode {oct(st.st_mode & 0o777)}): run 'chmod o+x {parent}' or set "
                f"YUQING_ES_HOME to a directory under a world-searchable path")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
