"""Reusable pytest fixture: a moto server on 127.0.0.1 (real HTTP), with boto3 pointed at it.

Use it with ``pytest_plugins = ["conftest_moto"]`` or ``from conftest_moto import moto_server``
(tests/conftest.py already imports it, so every test under tests/ can just ask for ``moto_server``).
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

REGION = "us-east-1"


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ThreadedMotoServer on a free 127.0.0.1 port; yield its URL (``http://127.0.0.1:PORT``).

    Sets AWS_ENDPOINT_URL, dummy credentials (``testing``) and AWS_DEFAULT_REGION=us-east-1, and points
    the shared config/credentials files at empty ones so a developer's ~/.aws cannot leak in.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _host, port = server.get_host_and_port()
        url = f"http://127.0.0.1:{port}"
        aws_dir = tmp_path_factory.mktemp("aws")
        (aws_dir / "config").write_text("")
        (aws_dir / "credentials").write_text("")
        for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                    "AWS_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_dir / "config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws_dir / "credentials"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        yield url
    finally:
        _stop(server)


def _stop(server: Any) -> None:
    """server.stop(), without waiting out werkzeug's 0.5 s poll: empty connections wake the loop."""
    stopper = threading.Thread(target=server.stop, daemon=True)
    stopper.start()
    port = server.get_host_and_port()[1] if getattr(server, "_server", None) else None
    for _ in range(100):
        stopper.join(0.02)
        if not stopper.is_alive() or port is None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            pass
    stopper.join(5)
