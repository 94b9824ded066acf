"""The first statewide view a planner gets after the server starts (/map?state=MO: the category
leaving the most people beyond reach), before and after the server keeps that view built
(service/warm.py), in one run: time until drawn, then a repeat view.

    .venv/bin/python -m bench.maps.first_view [--before 55a0c29] [--after PATH_OR_REVISION] [--rounds 3] [--wait 10]

Each round starts each side's `atlas serve` (2 workers, as in production) against the demo
database, waits `--wait` seconds (what a restart gives before the first planner: the server is
ready in ~3 s), then opens the page in Chromium at 1280×800 (bench.maps.statewide_map.measure:
until every layer and the last desert tile are drawn) and again, and stops it. Sides alternate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.maps.statewide_map import ROOT, measure, tree
from service.process import ServerProcess, free_port

URL = "/map?state=MO"


def serve(path: Path, log: Path) -> ServerProcess:
    port = free_port()
    env = {"PYTHONPATH": str(path), "ATLAS_HOME": os.environ.get("ATLAS_HOME", str(ROOT / ".atlas"))}
    return ServerProcess([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
                         port=port, log_path=log, env=env, cwd=path, timeout_s=120)


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="55a0c29")
    parser.add_argument("--after", default=str(ROOT))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wait", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        sides = {"before": tree(args.before, Path(tmp)), "after": tree(args.after, Path(tmp))}
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        load = os.getloadavg()
        try:
            for number in range(args.rounds):
                for name, path in sides.items():
                    server = serve(path, Path(tmp) / f"{name}-{number}.log")
                    try:
                        time.sleep(args.wait)
                        first = measure(browser, server.url, True, URL)["s"]
                        repeat = measure(browser, server.url, True, URL)["s"]
                    finally:
                        server.stop()
                    results[name].append((first, repeat))
                    print(f"round {number + 1} {name}: first {first:.2f} s, repeat {repeat:.2f} s", flush=True)
        finally:
            browser.close()
            for path in sides.values():
                if path.parent == Path(tmp):
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
                                   capture_output=True)
        print(f"\nLoad average at start: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (2 cores)\n")
        print(f"`{URL}`, 1280×800, Chromium, {args.wait:.0f} s after the server starts, median of {args.rounds}\n")
        print("| side | tree | first view (s) | repeat view (s) |")
        print("| --- | --- | ---: | ---: |")
        for name, runs in results.items():
            firsts, repeats = [r[0] for r in runs], [r[1] for r in runs]
            print(f"| {name} | {args.before if name == 'before' else args.after} | "
                  f"{statistics.median(firsts):.2f} ({', '.join(f'{t:.2f}' for t in firsts)}) | "
                  f"{statistics.median(repeats):.2f} ({', '.join(f'{t:.2f}' for t in repeats)}) |")


if __name__ == "__main__":
    main()
