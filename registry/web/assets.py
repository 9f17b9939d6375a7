"""Static files under content-hashed names, which browsers keep for a year.

Templates name a static file through ``static("css/site.css")``, which yields
``/static/css/site.<12 hex digits of its SHA-256>.css``. That name changes whenever the file does,
so it is served with ``Cache-Control: public, max-age=31536000, immutable``: a browser never asks
for it again, and a new release's pages name new files. The plain name (``/static/css/site.css``)
still answers, with a short lifetime (SHORT), for links from outside; so does a hashed name whose
digest is not the file's (a page of an older release), with the file as it is now.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from registry.resources import STATIC_DIR

PREFIX = "/static"  # where registry.main mounts STATIC_FILES
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
DIGITS = 12
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGITS}}})(?P<suffix>\.[A-Za-z0-9]+)$")


class HashedStaticFiles(StaticFiles):
    """``StaticFiles`` that also serve each file under its content-hashed name."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.root = Path(directory)
        self._digests: dict[str, str] = {}

    def digest(self, name: str) -> str:
        """The first DIGITS hex digits of the SHA-256 of the file ``name`` (read once)."""
        found = self._digests.get(name)
        if found is None:
            found = hashlib.sha256((self.root / name).read_bytes()).hexdigest()[:DIGITS]
            self._digests[name] = found
        return found

    def url(self, name: str) -> str:
        """``/static/<name>`` with the file's digest before its suffix."""
        path = PurePosixPath(name)
        hashed = path.with_name(f"{path.stem}.{self.digest(name)}{path.suffix}")
        return f"{PREFIX}/{hashed}"

    async def get_response(self, path: str, scope: Scope) -> Response:
        match = _HASHED.match(PurePosixPath(path).as_posix())
        if match and (self.root / (match["stem"] + match["suffix"])).is_file():
            name = match["stem"] + match["suffix"]
            response = await super().get_response(name, scope)
            current = match["digest"] == self.digest(name)
            response.headers["Cache-Control"] = IMMUTABLE if current else SHORT
            return response
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = SHORT
        return response


STATIC_FILES = HashedStaticFiles(STATIC_DIR)
static_url = STATIC_FILES.url
