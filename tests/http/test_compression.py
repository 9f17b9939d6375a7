"""Text responses are compressed as the client accepts (registry.http.compression), inside the
response cache, which keeps one body per coding: each client gets its own coding, never another's."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
import zstandard
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from registry.main import create_app

URL = "/api/v1/models?limit=50"


@pytest.fixture
def client(shared_seeded_engine: Engine) -> TestClient:
    # A new app per test: its response cache starts empty.
    return TestClient(create_app(engine=shared_seeded_engine))


def raw(client: TestClient, url: str, accept_encoding: str | None) -> tuple[dict[str, str], bytes]:
    """The response's headers and its body as sent, not decoded."""
    headers = {} if accept_encoding is None else {"accept-encoding": accept_encoding}
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


def plain_client(client: TestClient) -> TestClient:
    del client.headers["accept-encoding"]  # httpx sends one by default
    return client


def test_gzip_body_decodes_to_the_same_json(client: TestClient) -> None:
    headers, body = raw(client, URL, "gzip")
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(body)
    plain_headers, plain = raw(plain_client(client), URL, None)
    assert "content-encoding" not in plain_headers
    assert json.loads(gzip.decompress(body)) == json.loads(plain)
    assert len(body) < len(plain) / 3


def test_without_accept_encoding_the_body_is_identity(client: TestClient) -> None:
    headers, body = raw(plain_client(client), URL, None)
    assert "content-encoding" not in headers
    assert json.loads(body)["data"]  # plain JSON as it is
    assert int(headers["content-length"]) == len(body)


@pytest.mark.parametrize(
    ("accepted", "coding", "decode"),
    [
        ("br", "br", brotli.decompress),
        (
            "zstd",
            "zstd",
            lambda body: zstandard.ZstdDecompressor().decompressobj().decompress(body),
        ),
        ("gzip, deflate, br, zstd", "zstd", None),  # zstd first when several are accepted
        ("identity", None, None),
        ("gzip;q=0", None, None),  # refused explicitly
    ],
)
def test_the_coding_follows_accept_encoding(
    client: TestClient, accepted: str, coding: str | None, decode: object
) -> None:
    headers, body = raw(client, URL, accepted)
    assert headers.get("content-encoding") == coding
    if callable(decode):
        _, plain = raw(plain_client(client), URL, None)
        assert decode(body) == plain


def test_each_client_gets_its_own_coding_from_the_cache(client: TestClient) -> None:
    """A gzip client fills the cache; a plain client then gets the plain body, not the gzip one
    (same ETag: one weak validator for every coding), and a brotli client a brotli one."""
    first_headers, first = raw(client, URL, "gzip")
    hit_headers, plain = raw(plain_client(client), URL, None)
    assert hit_headers["etag"] == first_headers["etag"]
    assert "content-encoding" not in hit_headers
    assert gzip.decompress(first) == plain
    br_headers, br = raw(client, URL, "br")
    assert br_headers["content-encoding"] == "br" and brotli.decompress(br) == plain


def test_pages_and_exports_are_compressed_and_small_bodies_are_not(client: TestClient) -> None:
    page_headers, _ = raw(client, "/models/demo-7b", "gzip")
    assert page_headers["content-encoding"] == "gzip"
    assert page_headers["content-type"].startswith("text/html")
    csv_headers, _ = raw(client, "/api/v1/models.csv", "gzip")
    assert csv_headers["content-encoding"] == "gzip"
    small_headers, small = raw(client, "/api/v1/calc/optimal?flops=5.76e23", "gzip")
    assert len(small) < 500 and "content-encoding" not in small_headers


def test_not_modified_has_no_body_to_code(client: TestClient) -> None:
    etag = client.get(URL, headers={"accept-encoding": "gzip"}).headers["etag"]
    again = client.get(URL, headers={"accept-encoding": "gzip", "if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert "content-encoding" not in again.headers
