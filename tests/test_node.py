"""`yuqing es start|stop|status` on a second, throw-away node (the suite's node keeps running)."""

from __future__ import annotations

import socket

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
