"""A longer fuzz run over the readers than CI's (issue 16): the same strategies as
tests/hardening/test_fuzz_readers.py, many more examples, random (not derandomised) seeds.

Prints, per format, how many cases ran and what they found (an exception other than a
clean `ImportRejected` naming the file, or a refusal that changed the store).

    .venv/bin/python benchmarks/fuzz_long.py --examples 500
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hardening import test_fuzz_readers as fuzz


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--examples", type=int, default=500, help="cases per format")
    args = ap.parse_args()
    long_run = settings(
        max_examples=args.examples,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    tests = {
        "csv": fuzz.test_any_csv_imports_or_is_refused_cleanly,
        "jsonl": fuzz.test_any_json_lines_import_or_are_refused_cleanly,
        "parquet": fuzz.test_any_parquet_imports_or_is_refused_cleanly,
        "csv --quarantine": fuzz.test_quarantine_keeps_or_sets_aside_every_row,
    }
    print(f"{'format':<18} {'cases':>6} {'seconds':>8}  found")
    for name, test in tests.items():
        inner = test.hypothesis.inner_test  # type: ignore[attr-defined]
        strategies = test.hypothesis._given_kwargs  # type: ignore[attr-defined]
        ran = [0]

        def counted(_inner: object = inner, _ran: list[int] = ran, **kw: object) -> None:
            _ran[0] += 1
            _inner(**kw)  # type: ignore[operator]

        run = long_run(given(**strategies)(counted))
        started = time.monotonic()
        try:
            run()
            found = "nothing"
        except Exception as exc:  # a falsifying example: print it, keep going
            found = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            traceback.print_exc(limit=3)
        print(f"{name:<18} {ran[0]:>6} {time.monotonic() - started:>8.1f}  {found}", flush=True)


if __name__ == "__main__":
    main()
