"""The hardware and software a run measured on, recorded beside its metrics."""

from __future__ import annotations

import importlib.metadata
import platform
from pathlib import Path
from typing import Any


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def cpu_name() -> str:
    """The CPU model as /proc/cpuinfo (Linux) or the platform module names it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def _cuda_devices(torch: Any, devices: list[int]) -> dict[str, Any]:
    names = {torch.cuda.get_device_name(i) for i in devices}
    return {
        "device_name": " + ".join(sorted(names)),
        "device_count": len(devices),
        "device_memory_bytes": sum(
            torch.cuda.get_device_properties(i).total_memory for i in devices
        ),
        "cuda_version": torch.version.cuda,
    }


def describe(torch: Any, *, device: str, cuda_devices: list[int]) -> dict[str, Any]:
    """Hardware and software fields of a ``ProbeRun`` (device, versions, platform)."""
    fields: dict[str, Any] = {
        "device": device,
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "torch_version": str(torch.__version__),
        "transformers_version": _version("transformers"),
        "registry_version": _version("model-registry"),
    }
    if device == "cuda":
        return fields | _cuda_devices(torch, cuda_devices)
    return fields | {
        "device_name": cpu_name(),
        "device_count": 1,
        "cuda_version": None,
        "device_memory_bytes": _host_memory_bytes(),
    }


def _host_memory_bytes() -> int | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.is_file():
        return None
    for line in meminfo.read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def nvml_memory_used_bytes(devices: list[int]) -> int | None:
    """Device memory in use as NVML reports it (allocator cache and CUDA context included),
    or None without the ``nvidia-ml-py`` package or a driver."""
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        try:
            return sum(
                int(pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(i)).used)
                for i in devices
            )
        finally:
            pynvml.nvmlShutdown()
    except pynvml.NVMLError:
        return None
