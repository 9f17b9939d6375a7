"""The traffic benchmark's own parts: reading wrk's report, and the Lua script that makes every
request distinct (run through wrk itself against a local server, when wrk is installed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_traffic import HIGH, LOW, lua_script, parse_wrk
from tests_support import ON_CI

REPORT = """\
Running 10s test @ http://127.0.0.1:8000
  64 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.21s   400.50ms   4.55s    70.00%
    Req/Sec     0.50      1.00     3.00     90.00%
  Latency Distribution
     50%  850.00us
     75%    1.10s
     90%    2.00s
     99%    3.32s
  130 requests in 20.05s, 25.10MB read
  Socket errors: connect 0, read 2, write 1, timeout 5
  Non-2xx or 3xx responses: 40
Requests/sec:      6.48
Transfer/sec:      1.25MB
TRAFFIC ok=90 ok_max_ms=4547.0 shed=38 shed_retry_after=38 shed_max_ms=12.5 other=2 unanswered=64 unanswered_max_ms=20106.1
"""


def test_wrk_report_is_read_in_milliseconds_with_the_script_counts() -> None:
    result = parse_wrk(REPORT)
    assert result["requests"] == 130 and result["rps"] == 6.48
    assert result["p50_ms"] == pytest.approx(0.85)
    assert result["p99_ms"] == pytest.approx(3320.0)
    assert result["max_ms"] == pytest.approx(4550.0)
    assert (result["non2xx"], result["socket_errors"], result["timeouts"]) == (40, 3, 5)
    assert (result["ok"], result["shed"], result["shed_retry_after"], result["other"]) == (
        90,
        38,
        38,
        2,
    )
    assert result["unanswered_max_ms"] == pytest.approx(20106.1)


def test_a_report_without_errors_or_script_counts_has_zero_errors() -> None:
    plain = "\n".join(
        line for line in REPORT.splitlines() if not line.startswith(("  Socket", "  Non", "TRAF"))
    )
    result = parse_wrk(plain)
    assert (result["non2xx"], result["socket_errors"], result["timeouts"]) == (0, 0, 0)
    assert "ok" not in result


class Recorder(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Recorder.paths.append(self.path)
        status = 503 if len(Recorder.paths) % 3 == 0 else 200
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(
    shutil.which("wrk") is None and not ON_CI, reason="wrk is not installed (.ci/run installs it)"
)
def test_every_request_of_the_script_asks_for_a_new_size_and_is_counted(tmp_path: Path) -> None:
    prefix = "/api/v1/models?access=open-weights&min_params="
    script = tmp_path / "distinct.lua"
    script.write_text(lua_script(prefix, seed=3, track=True))
    Recorder.paths = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        command = ["wrk", "-t2", "-c2", "-d1s", "--latency", "-s", str(script), url]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        httpd.shutdown()
        httpd.server_close()
    sizes = []
    for path in Recorder.paths:
        assert path.startswith(prefix)
        query = parse_qs(urlsplit(path).query)
        assert query["access"] == ["open-weights"]
        sizes.append(int(query["min_params"][0]))
    assert len(sizes) > 20
    assert len(set(sizes)) == len(sizes), "two requests asked for the same size"
    assert all(LOW <= size <= HIGH for size in sizes)
    result = parse_wrk(out)
    answered = result["ok"] + result["shed"]
    assert result["shed"] == result["shed_retry_after"] > 0 and result["other"] == 0
    assert answered <= len(sizes) <= answered + 2  # at most one in flight per connection
    assert 0 < result["ok_max_ms"] < 10_000
