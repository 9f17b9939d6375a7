"""First page views after a server start and after a seed load, this checkout against an older one.

    python bench/bench_cold_pages.py [--before REF] [--rounds 3] [--compression-only]

For each side (``before``: the commit REF, checked out into a temporary git worktree and imported
through PYTHONPATH; ``after``: this checkout), a fresh SQLite database in a data directory of its
own is migrated and seeded from the project's seeds. Then, for each round, alternating the sides:

1. remove the charts kept on disk (the "after" side keeps them under the data directory), start
   the server (uvicorn, one process, on a free loopback port) and wait until it answers;
2. time the first request of each page of PAGES: "first view ever" (nothing is drawn yet);
3. load a changed seed tree (one family's description, so the data revision and every response
   cache key change, the pages' own numbers do not) while the server runs, wait until it answers
   from the new revision (WATCHED's ETag changes), and time the first request of each page again:
   "after load"; then load a tree that changes one model's numbers (DeepSeek-V3's training
   tokens: a new chart for its page and its family's) and time the first request of those two
   pages (NUMBER_PAGES): "after a load changing numbers";
4. stop the server, start it again and time the first request of each page: "after restart"
   (what a deployment or a crash recovery sees); stop it.

The script prints the medians over the rounds and the ratios, and the slowest single request; it
exits 1 if a median first view of the "after" side after a restart or after a load is over the
target (TARGET_MS). Last, on the "after" side, it prints the size of a few responses in each
coding a client may accept, the time of a cache hit with and without compression (COMPRESSED), and
the lifetimes the static files are served with. Requests go to 127.0.0.1 only, and servers stop by
themselves.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "a2a6e8a"  # main before first views were made cheap (charts kept by content, warm-up)
PAGES = (
    "/models/llama-3-8b",
    "/models/deepseek-v3",
    "/models/qwen2.5-72b",
    "/models/gpt-3-175b",
    "/compare?models=llama-3-8b,mixtral-8x7b,gpt-3-175b",
    "/compare?models=claude-3-opus,chinchilla-70b,bloom-176b",
)
COMPRESSED = (
    "/models/llama-3-8b",
    "/compare?models=llama-3-8b,mixtral-8x7b,gpt-3-175b",
    "/api/v1/models?limit=50",
    "/api/v1/models.csv",
)
CODINGS = ("identity", "gzip", "br", "zstd")
HITS = 30
TARGET_MS = 150.0  # the issue: a first page view after a start or a load
NUMBERS = "after a load changing numbers"
WATCHED = "/api/v1/families/bloom"  # whose ETag tells that the server sees a load
CHANGED_FAMILY = "bloom"  # whose description each load edits (no measured page shows it)
# The pages whose charts a load of new numbers changes (NUMBERS_FILE's TOKENS line, edited).
NUMBER_PAGES = ("/models/deepseek-v3", "/families/deepseek")
NUMBERS_WATCHED = "/api/v1/models/deepseek-v3"
NUMBERS_FILE, TOKENS = "deepseek.yaml", "    training_tokens: 14.8T\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Side:
    """One version of the code, with its own data directory and seed tree."""

    def __init__(self, name: str, source: Path, work: Path) -> None:
        self.name = name
        self.source = source
        self.data = work / name / "data"
        self.seeds = work / name / "seeds"
        self.env = os.environ | {
            "PYTHONPATH": str(source),
            "REGISTRY_DATA_DIR": str(self.data),
            "REGISTRY_SEEDS_DIR": str(self.seeds),
        }
        self.env.pop("REGISTRY_DATABASE_URL", None)
        self.loads = 0

    def cli(self, *args: str) -> None:
        code = "from registry.cli.app import main; main()"
        subprocess.run([sys.executable, "-c", code, *args], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, cwd=self.data.parent)  # fmt: skip

    def prepare(self) -> None:
        self.data.mkdir(parents=True)
        shutil.copytree(ROOT / "seeds", self.seeds)
        self.cli("db", "upgrade")
        self.cli("seed", str(self.seeds))

    def load_changed_seeds(self) -> None:
        """Edit one family's description and load the tree."""
        self.loads += 1
        path = self.seeds / "families" / f"{CHANGED_FAMILY}.yaml"
        text = path.read_text()
        marker = "  url: https://bigscience.huggingface.co/blog/bloom\n"
        assert marker in text, f"{path}: the line this benchmark edits is gone"
        edited = text.split("  description: >-\n", 1)
        assert len(edited) == 2, f"{path}: no folded description to edit"
        head, rest = edited
        first, _, tail = rest.partition("\n")
        first = first.split(" [load ")[0] + f" [load {self.loads}]"
        path.write_text(head + "  description: >-\n" + first + "\n" + tail)
        self.cli("seed", str(self.seeds))

    def load_changed_numbers(self) -> None:
        """Give DeepSeek-V3 a new training-token count (a new one each time) and load the tree."""
        self.loads += 1
        path = self.seeds / "families" / NUMBERS_FILE
        text = path.read_text()
        if TOKENS in text:  # the first edit of this tree
            text = text.replace(TOKENS, "    training_tokens: 14.8T  # bench\n", 1)
        edited = re.sub(
            r"    training_tokens: [0-9.]+T  # bench\n",
            f"    training_tokens: {14.8 + self.loads / 100:.2f}T  # bench\n",
            text,
            count=1,
        )
        assert edited != text, f"{path}: the line this benchmark edits is gone"
        path.write_text(edited)
        self.cli("seed", str(self.seeds))


class Server:
    """uvicorn serving ``side``'s code on a free loopback port."""

    def __init__(self, side: Side) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "uvicorn", "registry.main:create_app", "--factory",
                   "--host", "127.0.0.1", "--port", str(self.port),
                   "--log-level", "warning"]  # fmt: skip
        started = time.perf_counter()
        self.process = subprocess.Popen(command, env=side.env, cwd=side.data.parent)
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(self.base + "/static/favicon.svg", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise SystemExit(f"{side.name}: the server did not start")
            time.sleep(0.05)
        self.start_s = time.perf_counter() - started

    def first_views(self, pages: tuple[str, ...] = PAGES) -> dict[str, float]:
        """Milliseconds of one request of each page, in order, on one connection."""
        times = {}
        with httpx.Client(base_url=self.base, timeout=120) as client:
            for page in pages:
                start = time.perf_counter()
                response = client.get(page, headers={"accept": "text/html"})
                times[page] = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{page}: status {response.status_code}")
                if "<svg" not in response.text:
                    raise SystemExit(f"{page}: no chart drawn")
        return times

    def etag(self, url: str) -> str:
        return httpx.get(self.base + url, timeout=60).headers["etag"]

    def wait_for_new_etag(self, url: str, old: str) -> None:
        """Until the server answers from the new revision: a server may reread it in the
        background, a fraction of a second after the load."""
        deadline = time.monotonic() + 30
        while self.etag(url) == old:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not see the load")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help=f"the older commit (default {BEFORE})")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--compression-only", action="store_true", help="only the compression and static figures"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cold-pages-") as folder:
        work = Path(folder)
        if args.compression_only:
            side = Side("after", ROOT, work)
            side.prepare()
            server = Server(side)
            try:
                compression(server)
            finally:
                server.stop()
            return
        checkout = work / "before-checkout"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet",
                        str(checkout), args.before], check=True)  # fmt: skip
        # The editable install maps registry.templates and registry.migrations to this
        # checkout's folders: the older checkout's own are found first through these links.
        for folder_name in ("templates", "migrations"):
            (checkout / "registry" / folder_name).symlink_to(checkout / folder_name)
        try:
            sides = [Side("before", checkout, work), Side("after", ROOT, work)]
            for side in sides:
                side.prepare()
            failed = run(sides, rounds=args.rounds)
            server = Server(sides[1])
            try:
                compression(server)
            finally:
                server.stop()
            raise SystemExit(1 if failed else 0)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(checkout)], check=False)  # fmt: skip


def run(sides: list[Side], *, rounds: int) -> bool:
    """Time the rounds and print them; whether the target was missed."""
    # results[side][scenario][page] = [ms per round]
    results: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    starts: dict[str, list[float]] = defaultdict(list)
    for round_ in range(1, rounds + 1):
        for side in sides if round_ % 2 else reversed(sides):
            # Nothing drawn yet: the charts kept on disk are removed (the "after" side's only).
            shutil.rmtree(side.data / "web" / "charts", ignore_errors=True)
            for scenario in ("first view ever", "after restart"):
                server = Server(side)
                try:
                    starts[side.name].append(server.start_s)
                    for page, ms in server.first_views().items():
                        results[side.name][scenario][page].append(ms)
                    if scenario == "first view ever":
                        before = server.etag(WATCHED)
                        side.load_changed_seeds()
                        server.wait_for_new_etag(WATCHED, before)
                        for page, ms in server.first_views().items():
                            results[side.name]["after load"][page].append(ms)
                        before = server.etag(NUMBERS_WATCHED)
                        side.load_changed_numbers()
                        server.wait_for_new_etag(NUMBERS_WATCHED, before)
                        for page, ms in server.first_views(NUMBER_PAGES).items():
                            results[side.name][NUMBERS][page].append(ms)
                finally:
                    server.stop()
            print(f"round {round_} {side.name}: done", file=sys.stderr)
    return report(results, starts)


def report(
    results: dict[str, dict[str, dict[str, list[float]]]], starts: dict[str, list[float]]
) -> bool:
    failed = False
    print("server start to first answer, s (median): "
          + ", ".join(f"{n} {statistics.median(s):.1f}" for n, s in starts.items()))  # fmt: skip
    for scenario in ("first view ever", "after restart", "after load", NUMBERS):
        print(f"\n## {scenario} (ms; median over rounds)\n")
        print("| page | before | after | before / after |\n| --- | --- | --- | --- |")
        worst = {"before": 0.0, "after": 0.0}
        for page in NUMBER_PAGES if scenario == NUMBERS else PAGES:
            before = statistics.median(results["before"][scenario][page])
            after = statistics.median(results["after"][scenario][page])
            worst = {"before": max(worst["before"], before), "after": max(worst["after"], after)}
            print(f"| `{page}` | {before:.0f} | {after:.0f} | ×{before / after:.1f} |")
            if scenario != "first view ever" and after > TARGET_MS:
                failed = True
        print(f"| slowest | {worst['before']:.0f} | {worst['after']:.0f} | "
              f"×{worst['before'] / worst['after']:.1f} |")  # fmt: skip
        single = {n: max(max(v) for v in results[n][scenario].values()) for n in results}
        print(f"\nslowest single request of any round: before {single['before']:.0f} ms, "
              f"after {single['after']:.0f} ms")  # fmt: skip
    print(f"\ntarget: every first view after a restart or a load <= {TARGET_MS:.0f} ms: "
          + ("missed" if failed else "met"))  # fmt: skip
    return failed


def compression(server: Server) -> None:
    """Bytes sent per coding, and the median time of a cache hit without and with zstd."""
    print("\n## Compression (bytes sent; cache hit, median ms)\n")
    print("| response | " + " | ".join(CODINGS) + " | hit, identity | hit, zstd |")
    print("| --- " * (len(CODINGS) + 3) + "|")
    with httpx.Client(base_url=server.base, timeout=60) as client:
        for url in COMPRESSED:
            sizes, hits = [], {}
            for coding in CODINGS:
                with client.stream("GET", url, headers={"accept-encoding": coding}) as response:
                    assert response.status_code == 200, url
                    assert response.headers.get("content-encoding", "identity") == coding, url
                    sizes.append(len(b"".join(response.iter_raw())))
            for coding in ("identity", "zstd"):
                times = []
                for _ in range(HITS):
                    start = time.perf_counter()
                    client.get(url, headers={"accept-encoding": coding})
                    times.append((time.perf_counter() - start) * 1000)
                hits[coding] = statistics.median(times)
            cells = " | ".join(f"{size:,}" for size in sizes)
            print(f"| `{url}` | {cells} | {hits['identity']:.1f} | {hits['zstd']:.1f} |")
        page = client.get("/").text
        print("\n## Static files\n")
        for url in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page))):
            plain = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url)
            for asked in (url, plain):
                answer = client.get(asked)
                print(f"- `{asked}`: {answer.status_code}, {answer.headers['cache-control']}")


if __name__ == "__main__":
    main()
