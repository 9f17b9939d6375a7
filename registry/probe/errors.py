"""Errors of the probe: each is a ``RegistryError`` whose message a person can act on."""

from __future__ import annotations

from registry.errors import BadInput, RegistryError


class ProbeError(RegistryError):
    """The probe cannot go on (a checkpoint, device or dependency problem)."""

    status_code = 422


class CheckpointError(ProbeError):
    """The model directory, its ``config.json`` or its safetensors files cannot be read."""


class CannotCount(ProbeError):
    """The architecture is one the parameter counter does not know."""


class DeviceError(ProbeError):
    """The requested device is absent, or the model does not fit in its memory."""


class MissingExtra(ProbeError):
    """torch or transformers is not installed."""


class PushError(ProbeError):
    """The registry server refused a run or could not be reached."""


__all__ = [
    "BadInput",
    "CannotCount",
    "CheckpointError",
    "DeviceError",
    "MissingExtra",
    "ProbeError",
    "PushError",
]
