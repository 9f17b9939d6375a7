"""Browser test support shared by this folder's tests: where Chromium is, its arguments, the
strict Content-Security-Policy the app is served behind, and the skip-or-fail rule (docs/PAGES.md).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("REGISTRY_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MINI_SEEDS = Path(__file__).resolve().parents[1] / "data" / "mini_seeds"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"REGISTRY_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


class StrictCsp:
    """ASGI middleware adding a strict Content-Security-Policy to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_with_csp(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"],
                                      (b"content-security-policy", STRICT_CSP.encode())]  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_with_csp)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
