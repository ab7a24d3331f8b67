"""What the SQL worker process costs: start-up until ready (a fresh worker, as after a time
limit or crash) and a query round trip on a warm worker, median of `runs`.

    python -m bench.sql_worker [--snapshot data/analytics.duckdb] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from survey.store.sandbox import Limits, Sandbox, _Process, pool_for


def measure(snapshot: Path, runs: int = 10) -> dict:
    starts = []
    for _ in range(runs):
        process = _Process(Limits())
        process.wait_ready()
        starts.append(process.ready_s)
        process.kill()
    sandbox = Sandbox(snapshot, timeout_s=60)
    sandbox.run("SELECT 1")  # the warm worker is ready
    trips, counts = [], []
    for _ in range(runs):
        started = time.perf_counter()
        sandbox.run("SELECT 1")
        trips.append(time.perf_counter() - started)
        started = time.perf_counter()
        sandbox.run("SELECT count(*) FROM answers")
        counts.append(time.perf_counter() - started)
    pool_for(Limits()).close()
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    return {"runs": runs, "worker_start_ms": ms(starts), "worker_start_max_ms": ms([max(starts)]),
            "warm_select_1_ms": ms(trips), "warm_count_answers_ms": ms(counts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snapshot", default="data/analytics.duckdb")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(measure(Path(args.snapshot), args.runs), indent=2))


if __name__ == "__main__":
    main()
