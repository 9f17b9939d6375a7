"""A change counter for this process: writers bump it, the response cache's revision watcher
rereads the revision at once when it moved (``registry.http.revision_watch``).

Another process's writes are seen by the watcher's periodic read; a write made in this process (a
seed load in a test, a probe run posted to this server) is seen by the very next request.
"""

from __future__ import annotations

import itertools
import threading

_counter = itertools.count(1)
_lock = threading.Lock()
generation = 0


def data_changed() -> None:
    """Say that this process has just committed a change to the data."""
    global generation
    with _lock:
        generation = next(_counter)
