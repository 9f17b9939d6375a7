"""A bare ASGI app that answers every GET with the same prepared bytes: the ceiling for cache hits.

``CEILING_BODY_FILE`` names a file holding the body (the registry's answer, saved by the
benchmark) and ``CEILING_CONTENT_TYPE`` its media type. No framework, no middleware, no database:
a cached answer cannot be served faster than this by the same server.

    uvicorn bare_app:create_app --factory --lifespan off
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def create_app() -> Any:
    body = Path(os.environ["CEILING_BODY_FILE"]).read_bytes()
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", os.environ.get("CEILING_CONTENT_TYPE", "application/json").encode()),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    message = {"type": "http.response.body", "body": body}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        await send(start)
        await send(message)

    return app
