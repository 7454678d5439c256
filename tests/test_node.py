"""`yuqing es start|stop|status` on a second, throw-away node (the suite's node keeps running)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from storage.node import LocalElasticsearch, NodeError
from yuqing.config import LocalNode


def test_start_status_stop_and_idempotence(node, capsys):
    assert not node.status().running
    st = node.start()
    assert st.running and st.health in ("green", "yellow")
    assert st.version == node.version
    assert node.pid_file.exists()
    again = node.start()  # a second start finds it running and says so
    assert again.pid == st.pid
    assert "already running" in capsys.readouterr().err
    assert node.stop() is True
    assert not node.status().running and not node.pid_file.exists()
    assert node.stop() is False  # stopping a stopped node is not an error
    assert "not running" in capsys.readouterr().err


def test_port_taken_by_another_program_is_named(node):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", node.port))
        squatter.listen()
        with pytest.raises(NodeError, match=rf"port {node.port} is in use by a program that is "
                                            r"not Elasticsearch"):
            node.start()


def _es_cli(node, action: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "YUQING_ES_URL"}
    env.update(YUQING_ES_PORT=str(node.port), YUQING_ES_HOME=str(node.home))
    return subprocess.run([sys.executable, "-m", "yuqing.cli", "es", action],
                          capture_output=True, text=True, timeout=120, env=env)


def test_stop_and_status_find_the_node_without_its_pid_file(node):
    st = node.start()
    node.pid_file.unlink()  # e.g. a wiped data dir: the java process lives on
    assert node.status().pid == st.pid
    status = _es_cli(node, "status")
    assert status.returncode == 0 and f"pid {st.pid}" in status.stdout
    stop = _es_cli(node, "stop")
    assert stop.returncode == 0, stop.stderr
    assert f"found the node by its home {node.home}: pid {st.pid}" in stop.stderr
    assert f"(pid {st.pid}) stopped" in stop.stderr
    with pytest.raises(ProcessLookupError):
        os.kill(st.pid, 0)
    assert not node.status().running


def test_stop_and_status_name_a_foreign_process_on_the_port(node):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", node.port))
        squatter.listen()
        assert node.status().port_holder == os.getpid()
        with pytest.raises(NodeError, match=rf"port {node.port} is held by pid {os.getpid()} "
                                            r"\(.*python.*\), which is not the node of"):
            node.stop()
        status = _es_cli(node, "status")
        assert status.returncode == 3
        assert f"port {node.port} is held by another process (pid {os.getpid()})" in status.stdout


def test_missing_java_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("ES_JAVA_HOME", raising=False)
    # A machine whose only JDK is too old for ES 9: a Java 17 home in an empty JVM folder.
    old = tmp_path / "jvm" / "jdk-17"
    (old / "bin").mkdir(parents=True)
    (old / "bin" / "java").write_text("")
    (old / "release").write_text('JAVA_VERSION="17.0.2"\n')
    n = LocalElasticsearch(LocalNode(version="9.0.0"), tmp_path, jvm_dirs=(tmp_path / "jvm",))
    with pytest.raises(NodeError, match=r"needs Java 21\+.*set elasticsearch.local.java_home"):
        n.java_home()
