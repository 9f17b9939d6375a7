"""Real traffic (docs/PERFORMANCE.md, docs/RELIABILITY.md): the response cache bounded by bytes
and keyed by URL only, unknown parameters refused before caching, the revision seen across
processes, bounded work in flight with 503 and Retry-After past the bound, pool timeouts as 503,
the fast list path identical to the route, and a 200-connection burst that does not wedge."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import Receive, Scope, Send
from tests_support import MINI_SEEDS

from registry.api.fast_list import FastModelList
from registry.config import Settings
from registry.http.admission import Admission
from registry.http.cache import RevisionCache
from registry.http.revision_watch import INTERVAL_S
from registry.main import create_app
from registry.seeds.load import load_records
from registry.seeds.records import tree_records
from registry.seeds.validate import validate_tree
from registry.store import migrate, model_index
from registry.store.documents import DocumentMemo
from registry.store.engine import create_db_engine

REGISTRY = [sys.executable, "-c", "from registry.cli.app import main; main()"]


def _middleware(app: Any, kind: type) -> Any:
    """The instance of middleware ``kind`` in ``app``'s stack (built on the first request)."""
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, kind):
        layer = getattr(layer, "app", None)
    assert layer is not None, kind
    return layer


def _sqlite_file(folder: Path) -> Path:
    path = folder / "registry.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
    engine.dispose()
    return path


# -- the response cache ---------------------------------------------------------------------


def test_accept_headers_share_one_entry(seeded_engine: Engine) -> None:
    """597 Accept values grew a process by 290 MB: a successful answer never depends on Accept,
    so they all get the one cached copy."""
    client = TestClient(create_app(engine=seeded_engine))
    first = client.get("/api/v1/families")
    cache = _middleware(client.app, RevisionCache)
    entries = len(cache.store)
    for i in range(200):
        response = client.get("/api/v1/families", headers={"Accept": f"application/x-{i}"})
        assert response.status_code == 200 and response.content == first.content
    assert len(cache.store) == entries
    assert cache.hits >= 200


def test_an_answer_is_compressed_once_per_coding(seeded_engine: Engine) -> None:
    """Compression sits inside the cache: spellings of one choice share an entry, and a hit
    sends the stored compressed bytes instead of compressing again."""
    client = TestClient(create_app(engine=seeded_engine))
    cache = _middleware_after(client, "/api/v1/families", RevisionCache)
    url = "/api/v1/models?limit=50"
    before = len(cache.store)
    spellings = ["gzip", "gzip, deflate", "deflate;q=0.5, gzip", "GZIP;q=0.9"]
    bodies = {client.get(url, headers={"Accept-Encoding": s}).content for s in spellings}
    assert len(cache.store) == before + 1 and len(bodies) == 1
    zstd = client.get(url, headers={"Accept-Encoding": "gzip, zstd"})
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert zstd.headers["content-encoding"] == "zstd" and "content-encoding" not in plain.headers
    assert len(cache.store) == before + 3
    assert zstd.json() == plain.json()


def test_the_cache_is_bounded_by_bytes(seeded_engine: Engine) -> None:
    settings = Settings(cache_bytes=1024 * 1024)
    client = TestClient(create_app(settings, engine=seeded_engine))
    cache = _middleware_after(client, "/api/v1/models?limit=1", RevisionCache)
    plain = {"Accept-Encoding": "identity"}  # uncompressed: ~10 KB each, 4 MB in all
    for i in range(400):
        url = f"/api/v1/models?limit=20&offset={i % 3}&min_params={i + 1}"
        assert client.get(url, headers=plain).is_success
    assert cache.store.currsize <= cache.store.maxsize == 1024 * 1024
    assert 0 < len(cache.store) < 400


def _middleware_after(client: TestClient, url: str, kind: type) -> Any:
    assert client.get(url).status_code == 200
    return _middleware(client.app, kind)


@pytest.mark.parametrize(
    "url",
    [
        "/evaluations.json?x=1",
        "/api/v1/models?colour=red",
        "/api/v1/families?page=2",
        "/api/v1/models.csv?limit=5&lmit=3",
        "/api/v1/calc/optimal?flops=1e22&flop=3",
    ],
)
def test_unknown_parameters_are_refused_before_caching(seeded_engine: Engine, url: str) -> None:
    client = TestClient(create_app(engine=seeded_engine))
    cache = _middleware_after(client, "/api/v1/families", RevisionCache)
    entries = len(cache.store)
    response = client.get(url)
    assert response.status_code == 422, response.text
    unknown = url.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    assert [e["loc"] for e in response.json()["detail"]] == [["query", unknown]]
    assert "Extra inputs are not permitted" in response.json()["detail"][0]["msg"]
    assert len(cache.store) == entries


def test_pages_keep_accepting_tracking_parameters(seeded_engine: Engine) -> None:
    client = TestClient(create_app(engine=seeded_engine))
    assert client.get("/?utm_source=newsletter").status_code == 200


# -- the revision, across processes ---------------------------------------------------------


def _rename_demo_7b_in_another_process(seeds: Path, path: Path) -> None:
    """Rename Demo 7B in the seed tree ``seeds`` and load it into the SQLite file ``path`` with
    ``registry seed``, in a process of its own."""
    family = seeds / "families" / "demo.yaml"
    family.write_text(family.read_text().replace("name: Demo 7B\n", "name: Demo 7B v2\n", 1))
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": f"sqlite:///{path}",
        "REGISTRY_DATA_DIR": str(path.parent),
    }
    loaded = subprocess.run(
        [*REGISTRY, "seed", str(seeds)], env=env, capture_output=True, text=True, check=False
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr


def test_a_load_in_another_process_is_served_within_a_second(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path)
    seeds = tmp_path / "seeds"
    shutil.copytree(MINI_SEEDS, seeds)
    client = TestClient(create_app(engine=create_db_engine(f"sqlite:///{path}")))
    url = "/api/v1/models?sort=name&limit=100"
    before = [m["name"] for m in client.get(url).json()["data"]]
    assert "Demo 7B" in before and client.get(url).status_code == 200  # now cached
    _rename_demo_7b_in_another_process(seeds, path)
    done = time.monotonic()
    while True:
        after = [m["name"] for m in client.get(url).json()["data"]]
        if "Demo 7B v2" in after:
            break
        assert time.monotonic() - done < 1.0, "the new load was not served within a second"
        time.sleep(0.02)
    assert "Demo 7B" not in after


def test_cache_hits_read_no_database(seeded_engine: Engine) -> None:
    """Only the watcher's periodic read touches the database; hits do not."""
    app = create_app(engine=seeded_engine)
    client = TestClient(app)
    assert client.get("/api/v1/families").status_code == 200
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(seeded_engine, "before_cursor_execute", record)
    try:
        started = time.monotonic()
        for _ in range(100):
            assert client.get("/api/v1/families").status_code == 200
        elapsed = time.monotonic() - started
    finally:
        sa.event.remove(seeded_engine, "before_cursor_execute", record)
    # At most the watcher's reads (a BEGIN and one select each), one per quarter second.
    assert len(statements) <= 2 * (elapsed / INTERVAL_S + 1), statements
    assert all(
        "dataset_revision" in s or s.strip().upper() in ("BEGIN", "ROLLBACK") for s in statements
    )


# -- admission ------------------------------------------------------------------------------


async def _slow_app(scope: Scope, receive: Receive, send: Send) -> None:
    await anyio.sleep(0.3)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _burst(app: Any, count: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(*(client.get(f"/x?{i}") for i in range(count)))


def test_past_the_bound_the_excess_gets_503_with_retry_after_at_once() -> None:
    admission = Admission(_slow_app, limit=2, queue=3, wait_s=5.0)
    started = time.monotonic()
    responses = asyncio.run(_burst(admission, 10))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [503] * 5  # 2 running + 3 waiting; the rest refused
    refused = [r for r in responses if r.status_code == 503]
    assert all(r.headers["retry-after"] == "1" for r in refused)
    assert refused[0].json() == {"detail": "the server is busy; retry shortly"}
    assert admission.stats.refused == 5 and admission.stats.admitted == 5
    assert time.monotonic() - started < 2.0  # 3 rounds of 0.3 s, never a pile-up


def test_no_request_waits_longer_than_the_bound() -> None:
    admission = Admission(_slow_app, limit=1, queue=10, wait_s=0.5)
    responses = asyncio.run(_burst(admission, 5))
    assert sorted(r.status_code for r in responses) == [200, 200, 503, 503, 503]


def test_a_request_whose_client_left_is_not_computed() -> None:
    computed: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        computed.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    admission = Admission(app, limit=1, queue=5, wait_s=5)

    async def gone() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def sent(message: dict[str, Any]) -> None:
        raise AssertionError("nothing may be sent to a client that left")

    scope = {"type": "http", "method": "GET", "path": "/gone", "headers": []}
    asyncio.run(admission(scope, gone, sent))  # type: ignore[arg-type]
    assert computed == [] and admission.stats.abandoned == 1


def test_a_pool_timeout_is_503_with_retry_after(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path)
    engine = sa.create_engine(f"sqlite:///{path}", pool_size=1, max_overflow=0, pool_timeout=0.2)
    client = TestClient(create_app(engine=engine))
    held = engine.connect()  # the pool's only connection, busy
    try:
        response = client.get("/api/v1/models/demo-7b")
    finally:
        held.close()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert "busy" in response.json()["detail"]
    assert client.get("/api/v1/models/demo-7b").status_code == 200  # recovered


# -- the fast list path -----------------------------------------------------------------------


def _statements_during(engine: Engine, call: Any) -> tuple[Any, list[str]]:
    """What ``call()`` returns and the statements it ran on ``engine`` (transaction control aside)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.strip().upper() not in ("BEGIN", "ROLLBACK", "COMMIT"):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        return call(), statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _route_client(engine: Engine) -> TestClient:
    app = create_app(engine=engine)
    app.middleware_stack = app.build_middleware_stack()
    _middleware(app, FastModelList).enabled = False
    return TestClient(app)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?limit=3",
        "?open_weights=true&min_context=128k&sort=-total_params&limit=50",
        "?access=open-weights&access=both&facet=family&facet=access",
        "?input_modality=text&input_modality=image&sort=name&offset=1",
        "?q=demo",
        "?family=nope",
    ],
)
def test_the_fast_path_answers_as_the_route_does(seeded_engine: Engine, query: str) -> None:
    fast = TestClient(create_app(engine=seeded_engine)).get(f"/api/v1/models{query}")
    route = _route_client(seeded_engine).get(f"/api/v1/models{query}")
    assert fast.status_code == route.status_code == 200
    assert fast.content == route.content
    assert json.loads(fast.content)["data"] == json.loads(route.content)["data"]


# -- a burst on a real server -------------------------------------------------------------------


@contextmanager
def _registry_serve(database_url: str, folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``registry serve`` on a free loopback port, once it answers: its URL and its process
    (stopped afterwards unless the test already stopped it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}
    with (folder / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [*REGISTRY, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/v1/families", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        yield url, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=20)


failures: list[str] = []


async def _hammer(url: str, connections: int) -> list[int]:
    # A connection per request: a pooled keep-alive connection idle past the server's keep-alive
    # timeout is closed under the client, which says nothing about the server.
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(i: int) -> int:
            try:
                return (await client.get(f"{url}/models/demo-7b?i={i}")).status_code
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                return -1

        return await asyncio.gather(*(one(i) for i in range(connections * 3)))


def test_a_200_connection_burst_on_sqlite_does_not_wedge_the_server(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path)
    with _registry_serve(f"sqlite:///{path}", tmp_path) as (url, server):
        statuses = asyncio.run(_hammer(url, 200))
        assert 500 not in statuses and -1 not in statuses, (sorted(set(statuses)), failures[:3])
        assert set(statuses) <= {200, 503}
        time.sleep(2)
        started = time.monotonic()
        assert httpx.get(f"{url}/models/demo-7b?after=1", timeout=10).status_code == 200
        assert time.monotonic() - started < 1.0
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) is not None


def test_a_warm_model_list_is_one_statement_and_the_same_answer(seeded_engine: Engine) -> None:
    """Once the index is built, a new page of the list reads its documents and the revision in one
    statement (no transaction on PostgreSQL), and gives the same bytes as the route."""
    app = create_app(engine=seeded_engine)
    client = TestClient(app)
    plain = {"Accept-Encoding": "identity"}
    assert client.get("/api/v1/models?sort=-total_params&limit=2", headers=plain).is_success
    url = "/api/v1/models?sort=-total_params&limit=3&min_params=1000"
    fast, statements = _statements_during(seeded_engine, lambda: client.get(url, headers=plain))
    documents = [s for s in statements if "model_document" in s]
    assert len(documents) == 1 and "dataset_revision" in documents[0], statements
    assert _route_client(seeded_engine).get(url, headers=plain).content == fast.content


def test_a_page_of_models_already_read_needs_no_database(seeded_engine: Engine) -> None:
    """Once a page's documents have been read, a new page made of them (another filter, order
    or offset) is put together in memory: no statement but the revision watcher's, and the
    route's bytes."""
    app = create_app(engine=seeded_engine)
    client = TestClient(app)
    plain = {"Accept-Encoding": "identity"}
    for query in ("sort=-total_params&limit=1", "sort=-total_params&limit=200&min_params=1"):
        assert client.get(f"/api/v1/models?{query}", headers=plain).is_success  # reads them all
    url = "/api/v1/models?sort=-total_params&limit=3&offset=1&min_params=2"
    fast, statements = _statements_during(seeded_engine, lambda: client.get(url, headers=plain))
    assert fast.status_code == 200 and len(fast.json()["data"]) == 3
    assert all("dataset_revision" in s and "model_document" not in s for s in statements), (
        statements
    )
    assert _middleware(app, FastModelList).memo.held_bytes > 0
    assert _route_client(seeded_engine).get(url, headers=plain).content == fast.content


def test_with_no_document_memory_every_page_reads_the_database(seeded_engine: Engine) -> None:
    client = TestClient(create_app(Settings(document_memory_bytes=0), engine=seeded_engine))
    plain = {"Accept-Encoding": "identity"}
    for query in ("sort=-total_params&limit=1", "sort=-total_params&limit=200&min_params=1"):
        assert client.get(f"/api/v1/models?{query}", headers=plain).is_success
    url = "/api/v1/models?sort=-total_params&limit=3&offset=1&min_params=2"
    fast, statements = _statements_during(seeded_engine, lambda: client.get(url, headers=plain))
    assert fast.status_code == 200
    assert len([s for s in statements if "model_document" in s]) == 1, statements


def test_pages_from_memory_follow_a_load_in_another_process(tmp_path: Path) -> None:
    """A page put together from memory is as fresh as the revision the server knows: a load by
    another process shows on new (uncached) pages within a second."""
    path = _sqlite_file(tmp_path)
    seeds = tmp_path / "seeds"
    shutil.copytree(MINI_SEEDS, seeds)
    app = create_app(engine=create_db_engine(f"sqlite:///{path}"))
    client = TestClient(app)
    pages = iter(range(1, 1_000_000))

    def names() -> list[str]:  # a distinct URL each time: never a response-cache hit
        url = f"/api/v1/models?sort=name&limit=100&min_params={next(pages)}"
        return [m["name"] for m in client.get(url).json()["data"]]

    assert "Demo 7B" in names() and "Demo 7B" in names()
    assert _middleware(app, FastModelList).memo.held_bytes > 0
    _rename_demo_7b_in_another_process(seeds, path)
    done = time.monotonic()
    while "Demo 7B v2" not in (after := names()):
        assert time.monotonic() - done < 1.0, "the new load was not served within a second"
        time.sleep(0.02)
    assert "Demo 7B" not in after


def test_the_document_memory_is_bounded_by_bytes_and_holds_one_version() -> None:
    memo = DocumentMemo(max_bytes=1000)
    first = ("r1", "t1")
    memo.keep(first, {i: bytes([65 + i]) * 300 for i in range(5)})
    assert memo.held_bytes <= 1000
    assert memo.get(first, [4, 3, 2]) == [b"E" * 300, b"D" * 300, b"C" * 300]
    assert memo.get(first, [0]) is None  # evicted, least recently used first
    assert memo.get(("r2", "t2"), [4]) is None  # another version: nothing held for it
    memo.keep(("r2", "t2"), {9: b"x"})
    assert memo.get(first, [4]) is None and memo.get(("r2", "t2"), [9]) == [b"x"]
    assert memo.held_bytes == 1
    off = DocumentMemo(max_bytes=0)
    off.keep(first, {1: b"y"})
    assert off.get(first, [1]) is None


@pytest.mark.postgres
def test_the_binary_read_on_postgresql_gives_the_text_reads_answer(
    postgres_seeded_engine: Engine,
) -> None:
    """The asyncio read (psycopg's own cursor, binary format) and the SQLAlchemy read (text
    format) give the same revision tag, which the index is checked against, and the same bytes."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from registry.store.documents import versioned_bodies, versioned_bodies_async

    engine = postgres_seeded_engine
    with engine.connect() as connection:
        ids = [row[0] for row in connection.execute(sa.text("SELECT model_id FROM model_document"))]
        search_path = connection.execute(sa.text("SHOW search_path")).scalar_one()
        text_read = versioned_bodies(connection, ids)
    reader = create_async_engine(
        engine.url, connect_args={"options": f"-csearch_path={search_path}"}
    )

    async def binary() -> Any:
        try:
            async with reader.connect() as connection:
                return await versioned_bodies_async(connection, ids)
        finally:
            await reader.dispose()

    binary_read = asyncio.run(binary())
    assert len(ids) >= 3 and text_read[0] is not None
    assert binary_read == text_read
    with Session(engine) as session:
        index_version = model_index.index_for(session).version  # type: ignore[union-attr]
    assert binary_read[0] == index_version


@pytest.mark.postgres
def test_registry_serve_on_postgresql_answers_the_list_as_the_route_does(tmp_path: Path) -> None:
    """Under ``registry serve`` a warm model-list page on PostgreSQL is read through the asyncio
    driver (``main.create_served_app``); its answers are the route's, byte for byte."""
    import uuid

    from tests_support import ON_CI, POSTGRES_URL

    admin = create_db_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if ON_CI:
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    schema = f"serve_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    engine = create_db_engine(url)
    try:
        migrate.upgrade(engine)
        load_records(engine, tree_records(validate_tree(MINI_SEEDS)))
        with _registry_serve(url, tmp_path) as (base, _):
            route = _route_client(engine)
            plain = {"Accept-Encoding": "identity"}
            for i in range(6):  # the first builds the index; the rest take the asyncio read
                query = f"/api/v1/models?sort=-total_params&limit=4&min_params={1000 + i}"
                served = httpx.get(base + query, headers=plain, timeout=10)
                assert served.status_code == 200
                assert served.content == route.get(query, headers=plain).content, query
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
