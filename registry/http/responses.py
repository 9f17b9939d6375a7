"""Rendering answers: pydantic-core's serializer turns models, dates and enums into JSON fast."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic_core import to_json


def json_response(content: Any) -> Response:
    return Response(content=to_json(content), media_type="application/json")
