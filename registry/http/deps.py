"""Dependencies shared by the API's routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session


def get_session(request: Request) -> Iterator[Session]:
    """A session on the application's engine, closed after the request."""
    with Session(request.app.state.read_engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
