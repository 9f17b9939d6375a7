"""Where the files the program needs live: in the installed package, or in a checkout.

``templates/`` and ``migrations/`` sit at the top of the repository; the wheel maps them into the
package as ``registry.templates`` and ``registry.migrations`` (``pyproject.toml``), beside
``registry/static``. At run time they are found through ``importlib.resources``; from a checkout
(the source tree on ``sys.path``, or an editable install, which does not map them) they are the
repository's own folders.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository root when the package runs from a checkout; None when installed from a wheel.
CHECKOUT: Path | None = (
    PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "pyproject.toml").is_file() else None
)


def resource_dir(name: str) -> Path:
    """The folder ``name`` (``templates`` or ``migrations``) shipped with this installation."""
    try:
        found = resources.files(f"registry.{name}")
    except ModuleNotFoundError:
        if CHECKOUT is None:
            raise
        return CHECKOUT / name
    return Path(str(found))


STATIC_DIR = PACKAGE_DIR / "static"
