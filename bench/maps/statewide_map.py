"""The statewide Missouri map with one category (/map?state=MO&category=food), before and after
drawing desert cells from vector tiles, in one run: bytes transferred and time until drawn.

    ATLAS_DB_NAME=<db with `atlas setup` done> .venv/bin/python -m bench.maps.statewide_map \\
        [--before cc96bb0] [--after PATH_OR_REVISION] [--runs 3] [--cold]

Each side is a source tree (a temporary `git worktree` of a revision, or a directory) served by
`atlas serve` from the same virtualenv against the same database. Chromium (Debian's) opens the
page at 1280×800 with the OpenStreetMap basemap blocked (no network here); "drawn" is when every
layer's data has been added (body[data-atlas-loaded]) and, after, the last desert tile is drawn
(body[data-atlas-tiles]), then two animation frames. Bytes are the encoded (gzip) sizes of every
response from the server. The server keeps finished desert tiles (geo/deserts/tile_cache.py), so
after the warm-up the runs are repeat views; `--cold` warms up on another category and gives
each run a category not drawn before on that server (a first view since the server started or the
data changed)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from service.process import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
URL = "/map?state=MO&category=food"
COLD = ["food", "mental-health", "legal-aid", "child-care", "employment", "education", "transportation"]


def tree(ref: str, tmp: Path) -> Path:
    """A directory as it is, or a worktree of a revision."""
    if Path(ref).is_dir():
        return Path(ref)
    path = tmp / ref
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref], check=True,
                   capture_output=True)
    return path


def serve(path: Path, log: Path) -> ServerProcess:
    port = free_port()
    env = {"PYTHONPATH": str(path), "ATLAS_HOME": os.environ.get("ATLAS_HOME", str(ROOT / ".atlas"))}
    return ServerProcess([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], port=port,
                         log_path=log, env=env, cwd=path, timeout_s=120)


def measure(browser, base: str, tiles: bool, url: str = URL) -> dict:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.route("**/*.openstreetmap.org/**", lambda route: route.abort())
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: sizes.append(int(e["encodedDataLength"])))
    start = time.perf_counter()
    page.goto(base + url)
    page.locator("body[data-atlas-loaded]").wait_for(timeout=120_000)
    if tiles:
        page.locator("body[data-atlas-tiles]").wait_for(timeout=120_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    elapsed = time.perf_counter() - start
    page.wait_for_timeout(300)
    context.close()
    return {"s": elapsed, "bytes": sum(sizes), "requests": len(sizes)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="cc96bb0")
    parser.add_argument("--after", default=str(ROOT))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="a category not drawn before in each run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        sides = {"before": tree(args.before, Path(tmp)), "after": tree(args.after, Path(tmp))}
        servers = {name: serve(path, Path(tmp) / f"{name}.log") for name, path in sides.items()}
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        try:
            load = os.getloadavg()
            results: dict[str, list[dict]] = {name: [] for name in sides}
            urls = [URL.replace("food", c) for c in COLD[:args.runs]] if args.cold else [URL] * args.runs
            warm_up = URL.replace("food", "housing-shelter") if args.cold else URL
            for name in sides:  # one warm-up each: the first request of a server pays for its imports
                measure(browser, servers[name].url, name == "after", warm_up)
            for url in urls:
                for name in sides:
                    results[name].append(measure(browser, servers[name].url, name == "after", url))
            print(f"Load average at start: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (2 cores, shared)\n")
            shown = f"{URL} with category= {', '.join(COLD[:args.runs])} (cold)" if args.cold else URL
            print(f"`{shown}`, 1280×800, Chromium, median of {args.runs} (times: each run)\n")
            print("| side | tree | MB transferred | requests | time to drawn (s) |")
            print("| --- | --- | ---: | ---: | ---: |")
            for name, runs in results.items():
                times = ", ".join(f"{r['s']:.2f}" for r in runs)
                print(f"| {name} | {args.before if name == 'before' else args.after} | "
                      f"{statistics.median(r['bytes'] for r in runs) / 1e6:.2f} | "
                      f"{statistics.median(r['requests'] for r in runs):.0f} | "
                      f"{statistics.median(r['s'] for r in runs):.2f} ({times}) |")
        finally:
            browser.close()
            for server in servers.values():
                server.stop()
            for path in sides.values():
                if path.parent == Path(tmp):
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
                                   capture_output=True)


if __name__ == "__main__":
    main()
