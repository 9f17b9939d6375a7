"""The wheel holds everything the program needs: installed outside the checkout, it migrates,
seeds and serves pages with their stylesheet."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from setuptools import find_packages

REPO = Path(__file__).resolve().parents[1]
MAPPED = {"registry.templates": "templates", "registry.migrations": "migrations"}


def test_every_package_of_the_tree_is_listed_for_the_wheel() -> None:
    """pyproject lists packages by hand (the mapped folders need it): a new one must be added."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == MAPPED
    found = set(find_packages(str(REPO), include=["registry*"]))
    assert set(config["packages"]) == found | set(MAPPED)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.slow
def test_an_installed_wheel_migrates_seeds_and_serves_pages(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", tmp_path / "dist", REPO, cwd=tmp_path, env=env)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env)
    python, registry = venv / "bin" / "python", venv / "bin" / "registry"
    _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel,
         cwd=tmp_path, env=env)  # fmt: skip
    # The dependencies come from this environment's site-packages as a plain path entry (its .pth
    # files, among them the checkout's editable install, are not processed there).
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=tmp_path, env=env).strip())  # fmt: skip
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = _run(python, "-c", "import registry; print(registry.__file__)", cwd=tmp_path, env=env)
    assert where.strip().startswith(str(site)), where

    work = tmp_path / "elsewhere"
    work.mkdir()
    env["REGISTRY_DATA_DIR"] = str(work / "data")
    assert "is at revision" in _run(registry, "db", "upgrade", cwd=work, env=env)
    assert "models added" in _run(registry, "seed", REPO / "seeds", cwd=work, env=env)
    port = _free_port()
    log = work / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [registry, "serve", "--port", str(port)], cwd=work, env=env,
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        home = _wait_for(f"{base}/", server, log)
        assert home.status_code == 200 and "<table" in home.text
        slug = re.search(r'href="/models/([a-z0-9.\-]+)"', home.text)
        assert slug, "the home page links no model"
        assert httpx.get(f"{base}/models/{slug.group(1)}").status_code == 200
        stylesheets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', home.text)
        stylesheets += re.findall(r'<link[^>]+href="([^"]+\.css[^"]*)"', home.text)
        assert stylesheets, "the home page links no stylesheet"
        css = httpx.get(base + stylesheets[0])
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()}")
        try:
            return httpx.get(url, timeout=10)
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within 60 s")
