"""Compressed text responses: Zstandard, Brotli or gzip, whichever the client accepts first in
that order (``starlette-compress``); identity for a client that sends no ``Accept-Encoding``.

Bodies under 500 bytes, images other than SVG, and 304s go out as they are. ``registry.main``
adds the middleware inside the response cache (``registry.http.cache``), and the cache keys each
answer by the coding chosen for it (``coding_of``: the middleware's own choice, one of four), so
an answer is compressed once per coding and revision, not once per request (a 60 kB page takes
about a millisecond at level 4, fifty times what a cache hit costs). The middleware adds
``Vary: Accept-Encoding``; the cache's weak ETag stays the same for every coding.
"""

from __future__ import annotations

from starlette.types import Scope
from starlette_compress import CompressMiddleware, add_compress_type, parse_accept_encoding

add_compress_type("text/csv")  # the exports (/api/v1/models.csv); JSON, HTML, CSS, JS are built in

Compression = CompressMiddleware
CODINGS = ("zstd", "br", "gzip")  # the middleware's order of preference


def coding_of(scope: Scope) -> str:
    """The coding ``Compression`` picks for this request ('' for none): what the cache keys on
    instead of the raw ``Accept-Encoding``, so that its many spellings share one entry."""
    values = [v.decode("latin-1") for n, v in scope["headers"] if n == b"accept-encoding"]
    if not values:
        return ""
    accepted = parse_accept_encoding(",".join(values))
    return next((coding for coding in CODINGS if coding in accepted), "")

__all__ = ["Compression", "coding_of"]
