"""Scorecard preview through a real server: the time of each edit's preview, cold and warm.

Copies a scored store (e.g. the 20,000-account store of `web_latency.py`), serves it with
`healthscore serve`, signs in and posts a series of edits to /scorecard/preview: band
limits and group weights, each a different card.  The first preview after a scoring run
reads the stored inputs (measure rows of the newest date and of the backtest's dates,
the outcomes); every later edit re-scores them in memory.  Each answer is checked for its
band moves and its old-against-new backtest table.  Target: < 2 s per preview.

    python benchmarks/scorecard_preview.py --store /path/to/store.duckdb [--edits 12]
    python benchmarks/scorecard_preview.py --in-process --store ...   # no server
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))
from server import serving  # noqa: E402

USER, PASSWORD = "preview-bench", "password123"


def edits(n: int) -> list[dict[str, str]]:
    """n different cards: yellow/green limits and one group's weight moved each time."""
    out = []
    for i in range(n):
        e = {"band1": str(40 + (i * 3) % 25), "band2": str(72 + (i * 5) % 20)}
        e[f"g{i % 6}"] = str(5 + (i * 7) % 40)
        out.append(e)
    return out


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token in the page")
    return found.group(1)


def through_server(db: Path, n: int) -> list[tuple[float, str, bool]]:
    from healthscore.auth import add_user
    from healthscore.store import open_store

    with open_store(db) as store:  # a fresh copy: the user is new
        add_user(store, USER, PASSWORD, "admin")
    out = []
    with (
        serving(db, timeout=600) as base,
        httpx.Client(base_url=base, timeout=600, follow_redirects=True) as c,
    ):
        c.post(
            "/login",
            data={
                "username": USER,
                "password": PASSWORD,
                "csrf_token": _csrf(c.get("/login").text),
            },
        )
        token = _csrf(c.get("/scorecard").text)
        for e in edits(n):
            t = time.perf_counter()
            r = c.post("/scorecard/preview", data={"csrf_token": token, **e})
            took = time.perf_counter() - t
            moved = re.search(r'id="moves-count">(\d+)<', r.text)
            out.append((took, moved.group(1) if moved else "?", 'id="backtest"' in r.text))
    return out


def in_process(db: Path, n: int) -> list[tuple[float, str, bool]]:
    from healthscore.app import App
    from healthscore.scoring import snapshot_dates
    from healthscore.store import open_store
    from healthscore.web.scorecard_edit import candidate_from_form, preview

    hs = App.from_env({}, db=db)
    out = []
    with open_store(db) as store:
        snapshot_dates(store)
        for e in edits(n):
            t = time.perf_counter()
            p = preview(store, candidate_from_form(hs.scorecard, e))
            out.append((time.perf_counter() - t, str(len(p.band_moves)), p.backtest is not None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="a scored store (copied first)")
    ap.add_argument("--edits", type=int, default=12)
    ap.add_argument("--in-process", action="store_true", help="call the preview directly")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="hs-preview-") as tmp:
        db = Path(tmp) / "store.duckdb"
        shutil.copyfile(args.store, db)
        run = in_process if args.in_process else through_server
        times = run(db, args.edits)
    print("| edit | seconds | band moves | backtest shown |")
    print("|---:|---:|---:|---|")
    for i, (s, moves, bt) in enumerate(times, 1):
        print(f"| {i} | {s:.2f} | {moves} | {'yes' if bt else 'no'} |")
    warm = sorted(s for s, _, _ in times[1:])
    if warm:
        p95 = warm[min(len(warm) - 1, int(0.95 * len(warm)))]
        print(
            f"first (cold) {times[0][0]:.2f} s; later edits: p50 {statistics.median(warm):.2f} s,"
            f" p95 {p95:.2f} s, max {warm[-1]:.2f} s"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
