"""``registry serve`` itself (docs/RELIABILITY.md): forwarded headers trusted only from configured
proxies, a header timeout for slow clients, security headers on the server's own 400s."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests_support import MINI_SEEDS

from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine

REGISTRY = [sys.executable, "-c", "from registry.cli.app import main; main()"]
TOKEN = "s3cret"
PROXY = "127.0.0.2"  # a loopback address the tests connect from when playing the proxy
HEADER_TIMEOUT_S = 1.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(tmp_path: Path, *options: str) -> Iterator[str]:
    path = tmp_path / "registry.sqlite3"
    if not path.exists():
        engine = create_db_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
        engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": f"sqlite:///{path}",
        "REGISTRY_WRITE_TOKEN": TOKEN,
        "FORWARDED_ALLOW_IPS": "*",  # uvicorn's own default must not matter
    }
    env.pop("REGISTRY_TRUSTED_PROXIES", None)
    command = [*REGISTRY, "serve", "--port", str(port), *options]
    log = tmp_path / f"serve-{port}.log"
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/v1/families", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("serve")
    options = ("--header-timeout", str(HEADER_TIMEOUT_S), "--trusted-proxies", PROXY)
    yield from _serve(folder, *options)


def _run(slug: str | None = None) -> str:
    from registry.models import ProbeRunCreate

    fields = {name: 1 for name, info in ProbeRunCreate.model_fields.items() if info.is_required()}
    text_fields = {
        name: "x"
        for name, info in ProbeRunCreate.model_fields.items()
        if info.is_required() and info.annotation is str
    }
    return json.dumps({**fields, **text_fields, "model_slug": slug})


def _post(url: str, forwarded_for: str, source: str = "127.0.0.1") -> int:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "application/json",
        "X-Forwarded-For": forwarded_for,
    }
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport) as client:
        response = client.post(f"{url}/api/v1/probe-runs", content=_run(), headers=headers)
    if response.status_code == 429:
        print(response.json()["detail"])  # names the client address the server saw
    return response.status_code


def test_a_forged_forwarded_for_does_not_bypass_the_rate_limit(server: str) -> None:
    """From 127.0.0.1, which uvicorn trusts by default but no option named here."""
    statuses = [_post(server, f"203.0.113.{n}") for n in range(11)]
    assert statuses == [201] * 10 + [429]  # was 201 eleven times: one "client" per header


def test_forwarded_for_is_trusted_from_a_configured_proxy(server: str) -> None:
    statuses = [_post(server, f"198.51.100.{n}", source=PROXY) for n in range(11)]
    assert statuses == [201] * 11  # each forwarded client has its own budget
    same = [_post(server, "192.0.2.7", source=PROXY) for _ in range(11)]
    assert same == [201] * 10 + [429]


def test_no_forwarded_header_is_trusted_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --trusted-proxies (or REGISTRY_TRUSTED_PROXIES) uvicorn reads no forwarded
    header from anyone, and runs the guarded protocol."""
    from typer.testing import CliRunner

    from registry.cli.app import app
    from registry.config import get_settings

    started: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: started.update(kwargs))
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    monkeypatch.delenv("REGISTRY_TRUSTED_PROXIES", raising=False)
    monkeypatch.setattr("registry.store.engine.check_database_file", lambda url: None)
    monkeypatch.setattr("registry.store.engine.check_connection", lambda engine: None)
    monkeypatch.setattr("registry.store.migrate.ensure_current", lambda engine: None)
    try:
        result = CliRunner().invoke(app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert started["proxy_headers"] is False and started["forwarded_allow_ips"] == ""
    assert started["http"] == "registry.http.server:GuardedHttpToolsProtocol"


def test_slow_headers_are_cut_off(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/families HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server, not left open
        assert HEADER_TIMEOUT_S - 0.5 < time.monotonic() - started < HEADER_TIMEOUT_S + 5
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/families HTTP/1.1\r\n")
        time.sleep(HEADER_TIMEOUT_S / 3)
        sock.sendall(b"Host: x\r\nConnection: close\r\n\r\n")  # in time: answered
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")


def test_the_servers_own_400_carries_the_security_headers(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"NOT A REQUEST\x00\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode().lower()
    assert head.startswith("http/1.1 400")
    assert "content-security-policy: default-src 'self'" in head
    assert "x-content-type-options: nosniff" in head and "x-frame-options: deny" in head
