"""Security headers on every response, a bound on request bodies, HEAD, and no NULs.

Pages load only what the app itself serves (scripts, styles, images): the Content-Security-Policy
forbids inline scripts, other origins, framing and plugins. The headers go on every answer, a 500
from an unexpected exception included (the server's own 400s get them from
``registry.http.server``). Bodies beyond the limit are refused with 413 before they are read,
whether announced by Content-Length or streamed in chunks. HEAD is answered wherever GET is.
A NUL (``%00``) in the path or a query parameter is refused with 422 before any handler runs:
PostgreSQL cannot store or compare one (docs/RELIABILITY.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
MAX_BODY_BYTES = 4 * 1024 * 1024  # the largest accepted body; endpoints may set lower limits


class SecurityHeaders:
    """Add the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            if not started:  # the 500 gets the headers too; the server still logs the error
                body = b'{"detail":"internal server error"}'
                await with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
            raise


class HeadAsGet:
    """Answer HEAD as GET without the body (the GET's headers, Content-Length included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


async def refuse_nul(request: Request) -> None:
    """422 naming the parameter when the path or a query parameter holds a NUL character."""
    problems = [
        {"type": "value_error", "loc": ["path", name], "msg": NUL_MESSAGE}
        for name, value in request.path_params.items()
        if "\x00" in str(value)
    ]
    problems += [
        {"type": "value_error", "loc": ["query", name.replace("\x00", "\\0")], "msg": NUL_MESSAGE}
        for name, value in request.query_params.multi_items()
        if "\x00" in name or "\x00" in value
    ]
    if not problems and "\x00" in request.url.path:
        problems.append({"type": "value_error", "loc": ["path"], "msg": NUL_MESSAGE})
    if problems:
        raise RequestValidationError(problems)


NUL_MESSAGE = "NUL characters (%00) are not allowed"


class BodyLimit:
    """Refuse request bodies larger than the path's limit with 413, reading no more than that.

    The one bounded body reader: ``limits`` maps exact paths to their own limit (a probe run,
    a config.json, a runs table), every other path gets ``limit``. Handlers then read
    ``await request.body()`` knowing it is bounded.
    """

    def __init__(
        self, app: ASGIApp, *, limit: int = MAX_BODY_BYTES, limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = limit
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(send, limit)
                return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, bounded, send)
        except _TooLarge:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"detail":"the request body exceeds {limit:,} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
