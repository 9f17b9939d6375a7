"""Faults: bad database files and unreachable servers at start, a database restart while serving."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from tests_support import MINI_SEEDS, ON_CI, POSTGRES_URL

from registry.http.revision_watch import INTERVAL_S
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate
from registry.store.engine import create_db_engine

REGISTRY = [sys.executable, "-c", "from registry.cli.app import main; main()"]


def serve(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``registry serve`` against ``url``; it must refuse to start, so a short timeout suffices."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": url, "REGISTRY_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [*REGISTRY, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60
    )


def test_missing_sqlite_file_is_refused_without_creating_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.sqlite3"
    done = serve(f"sqlite:///{path}", tmp_path)
    assert done.returncode != 0
    assert f"the database file {path} does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert not path.exists()


def test_corrupt_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not a database\x00" * 512)
    done = serve(f"sqlite:///{path}", tmp_path)
    assert done.returncode != 0
    assert "cannot open the database" in done.stderr and "not a database" in done.stderr
    assert "Traceback" not in done.stderr


def test_read_only_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    # Opened read-only (as on a read-only mount): WAL mode cannot be set up.
    done = serve(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    assert done.returncode != 0
    assert "cannot open the database" in done.stderr and "readonly" in done.stderr
    assert "Traceback" not in done.stderr


def test_unmigrated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    sa.create_engine(f"sqlite:///{path}").connect().close()
    done = serve(f"sqlite:///{path}", tmp_path)
    assert done.returncode != 0
    assert "run `registry db upgrade`" in done.stderr


def test_postgresql_down_at_start(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    started = time.monotonic()
    done = serve(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test?connect_timeout=3", tmp_path)
    assert done.returncode != 0
    assert (
        f"cannot open the database postgresql+psycopg://postgres@127.0.0.1:{port}/test"
        in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 30


class TcpProxy:
    """A TCP relay to PostgreSQL that can be stopped and started, as a server restart looks."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def start(self) -> None:
        async def start() -> None:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(5)

    def stop(self) -> None:
        async def stop() -> None:
            assert self.server is not None
            self.server.close()
            for writer in self.writers:
                writer.close()
            self.writers.clear()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)


@pytest.fixture
def proxied_postgres() -> Iterator[tuple[TcpProxy, Engine]]:
    url = sa.engine.make_url(POSTGRES_URL)
    probe = create_db_engine(POSTGRES_URL)
    try:
        probe.connect().close()
    except sa.exc.OperationalError as exc:
        if ON_CI:
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    finally:
        probe.dispose()
    proxy = TcpProxy(url.port or 5432)
    proxy.start()
    schema = f"fault_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    proxied = url.set(host="127.0.0.1", port=proxy.port)
    admin = create_db_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(
        proxied,
        pool_pre_ping=True,
        connect_args={"options": f"-csearch_path={schema}", "connect_timeout": 3},
    )
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
    try:
        yield proxy, engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_postgresql_restart_while_serving(proxied_postgres: tuple[TcpProxy, Engine]) -> None:
    proxy, engine = proxied_postgres
    client = TestClient(create_app(engine=engine))
    urls = ["/api/v1/models?limit=2", "/api/v1/models/demo-7b", "/api/v1/families"]
    assert all(client.get(url).status_code == 200 for url in urls)
    proxy.stop()  # the server goes away, and every open connection with it
    # Cached answers stand until the revision watcher's next read fails (a quarter second);
    # from then on nothing is served from the cache: every answer needs the database.
    time.sleep(2 * INTERVAL_S)
    client.get("/api/v1/families")  # this one starts the watcher's failing read
    time.sleep(2 * INTERVAL_S)
    for url in [*urls, "/api/v1/models?limit=3"]:
        response = client.get(url)
        assert response.status_code == 503, (url, response.text)
        assert response.json() == {"detail": "the database is unavailable right now; retry shortly"}
        assert response.headers["retry-after"] == "5"
    proxy.start()  # back: the same app recovers, no restart
    for url in [*urls, "/api/v1/models?limit=4"]:
        assert client.get(url).status_code == 200, url


def _fresh_sqlite(path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
    engine.dispose()


def _runs_in(path: Path) -> int:
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM probe_run").scalar()
    engine.dispose()
    return int(count or 0)


def test_the_sqlite_file_replaced_while_serving(tmp_path: Path) -> None:
    """``rm`` then ``db upgrade && seed`` under a running server: it answers from the new file
    only, and acknowledges no write into the deleted one; removed and not replaced, it fails
    loudly and never creates an empty file."""
    from registry.config import Settings

    path = tmp_path / "registry.sqlite3"
    _fresh_sqlite(path)
    client = TestClient(
        create_app(Settings(write_token="t"), engine=create_db_engine(f"sqlite:///{path}"))
    )
    auth = {"Authorization": "Bearer t"}
    run = {
        "model_slug": "demo-7b", "checkpoint": "c", "params_source": "config",
        "total_params": 1, "active_params": 1, "device": "cpu", "device_name": "cpu",
        "platform": "Linux", "python_version": "3.11", "torch_version": "2", "dtype": "bf16",
        "transformers_version": "5", "registry_version": "0.1.0", "device_map": "single",
        "batch": 1, "prompt_tokens": 1, "new_tokens": 1, "warmup": 0, "runs": 1, "load_s": 0.1,
        "weights_bytes": 2, "peak_memory_bytes": 2, "peak_memory_source": "rss", "ttft_s": 0.1,
        "prefill_tokens_per_s": 1.0, "decode_tokens_per_s": 1.0, "tpot_s": 1.0,
        "token_latency_p50_s": 1.0, "token_latency_p99_s": 1.0,
    }  # fmt: skip
    listing = "/api/v1/models/demo-7b/probe-runs"
    assert client.post("/api/v1/probe-runs", json=run, headers=auth).status_code == 201
    assert client.get(listing).json()["count"] == 1
    for file in tmp_path.glob("registry.sqlite3*"):
        file.unlink()
    gone = client.get(listing)
    assert gone.status_code == 503 and "was removed while the server was running" in gone.text
    assert client.post("/api/v1/probe-runs", json=run, headers=auth).status_code == 503
    assert not path.exists()  # never created afresh behind the operator's back
    _fresh_sqlite(path)
    assert client.get(listing).json()["count"] == 0  # the new data, not the old file's
    assert client.post("/api/v1/probe-runs", json=run, headers=auth).status_code == 201
    assert _runs_in(path) == 1  # the acknowledged write is in the file at the path
    assert client.get(listing).json()["count"] == 1
