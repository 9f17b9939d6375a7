"""Compressed text responses: Zstandard, Brotli or gzip, whichever the client accepts first in
that order (``starlette-compress``); identity for a client that sends no ``Accept-Encoding``.

Bodies under 500 bytes, images other than SVG, and 304s go out as they are. ``registry.main``
adds the middleware outside the response cache (``registry.http.cache``), so the cache keeps one
uncompressed body per URL and revision, whatever each client accepts, and each answer is
compressed for its client (a 60 kB page in about a millisecond at the default level 4). The
middleware adds ``Vary: Accept-Encoding``; the cache's weak ETag stays the same for every coding.
"""

from __future__ import annotations

from starlette_compress import CompressMiddleware, add_compress_type

add_compress_type("text/csv")  # the exports (/api/v1/models.csv); JSON, HTML, CSS, JS are built in

Compression = CompressMiddleware

__all__ = ["Compression"]
