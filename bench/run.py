"""`python -m bench.run [--scales S,M,L]`: measure the platform at each scale and write
docs/performance.md (machine, date, tables and a log-log plot). Results per scale are kept in
bench/results/<scale>.json, so a later run of one scale keeps the others.

Measured side by side on the same database in the same run:
- the trend page's full query set (headline with changes, a series, breakdowns by kind and by
  sub-region, heatmap, distribution, burden index, warnings) for the whole province and one
  county, computed the way the pages compute them (survey.trends, caches bypassed);
- the floor: one bare DuckDB aggregate over the same columns;
- the typical Streamlit way: load the answers into pandas and group there;
- submissions through the real Store.submit with 1, 8 and 32 concurrent writers;
- one run and one rerun of the trend page (AppTest);
- the analytics snapshot (time and size), the process's peak memory, bytes per million
  submissions.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import KEY, SCALES, build  # noqa: E402
from survey import periods, trends  # noqa: E402
from survey.leader_config import load_index, load_rules  # noqa: E402
from survey.metrics import HEADLINE, Filter  # noqa: E402
from survey.store import Store, snapshot  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATA = Path(os.environ.get("BENCH_DATA", tempfile.gettempdir())) / "survey-bench"


def timed(fn, runs: int) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times.sort()
    return {"median_ms": statistics.median(times) * 1000,
            "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000,
            "runs": runs}


def trend_set(store: Store, flt: Filter, rules, index, heatmap: bool) -> None:
    """What the trend and warnings pages compute for one view."""
    k = 5
    trends.headline(store, flt, "month", None, k)
    trends.series(store, flt, "meetings", "month", k)
    trends.series(store, flt, "meetings", "month", k, "kind")
    trends.series(store, flt, "meetings", "month", k, "county" if not flt.county else "township")
    trends.burden_index(store, flt, index, "month", k)
    if heatmap:
        trends.heatmap(store, flt, "meetings", k)
    trends.alerts(store, flt, rules, k)


# The floor: one bare aggregate over the columns the figures read (the point_month rollup).
FLOOR_SQL = """
    SELECT indicator, period_start, sum(total) / sum(n), sum(n) FROM point_month GROUP BY ALL"""
# The same aggregate straight from the raw answers: what any design without a rollup pays.
RAW_SCAN_SQL = """
    SELECT a.indicator, s.period_start, avg(a.value_num), count(DISTINCT s.respondent_key)
    FROM answer a JOIN submission s USING (submission_id)
    WHERE a.indicator IS NOT NULL GROUP BY ALL"""


PANDAS_SCRIPT = """
import json, resource, sys, time, duckdb
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
con = duckdb.connect(sys.argv[1], read_only=True)
times = []
for _ in range({runs}):
    started = time.perf_counter()
    frame = con.execute("SELECT iv.indicator, iv.period_start, iv.respondent_key, iv.value, "
                        "p.kind, p.county FROM indicator_values iv JOIN points p USING (point_id)"
                        ).df()
    frame.groupby(["indicator", "period_start"]).agg(mean=("value", "mean"),
                                                     n=("respondent_key", "nunique"))
    meetings = frame[frame["indicator"] == "meetings"]
    meetings.groupby(["kind", "period_start"])["value"].mean()
    meetings.groupby(["county", "period_start"])["value"].mean()
    times.append(time.perf_counter() - started)
    del frame, meetings
print(json.dumps(times))
"""
PANDAS_LIMIT = 12 * 2 ** 30


def pandas_way(snapshot_path: Path, runs: int) -> dict:
    """The typical Streamlit way: load the answers into pandas and group there. Run in a child
    process capped at PANDAS_LIMIT bytes, on the snapshot (this process holds the database)."""
    import subprocess
    script = PANDAS_SCRIPT.format(limit=PANDAS_LIMIT, runs=runs)
    done = subprocess.run([sys.executable, "-c", script, str(snapshot_path)],
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        reason = "out of memory" if "MemoryError" in done.stderr or done.returncode < 0 \
            else done.stderr.strip().splitlines()[-1][:200]
        return {"error": f"{reason} (capped at {PANDAS_LIMIT / 2 ** 30:.0f} GiB)"}
    times = sorted(json.loads(done.stdout))
    return {"median_ms": statistics.median(times) * 1000,
            "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000,
            "runs": runs}


def submits(store: Store, writers: int, per_writer: int) -> dict:
    """Latency and throughput of the real submit path with concurrent writers."""
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    period = periods.key_for("month", dt.date.today())
    # each writer's respondents at their own point, as in the field (one cadre per form)
    points = [p.point_id for p in store.points()[:writers]]
    respondents = [store.respondent(code) for point in points
                   for code in store.issue_codes(point, per_writer, "bench")]
    latencies, began, ended = submit_all(store, qn, period, respondents, writers)
    elapsed = ended - began
    latencies.sort()
    return {"writers": writers, "submissions": len(latencies),
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[round(0.95 * (len(latencies) - 1))] * 1000,
            "per_second": len(latencies) / elapsed}


def submit_all(store: Store, qn, period: str, respondents, writers: int
               ) -> tuple[list[float], float, float]:
    """Each respondent submits once, `writers` at a time: (latencies in s, wall-clock start
    and end)."""
    from tests.conftest import complete_answers
    latencies: list[float] = []

    def one(respondent) -> None:
        started = time.perf_counter()
        store.submit(respondent, qn, period, complete_answers(), os.urandom(8).hex())
        latencies.append(time.perf_counter() - started)

    began = time.time()
    with futures.ThreadPoolExecutor(writers) as pool:
        list(pool.map(one, respondents))
    return latencies, began, time.time()


def page_runs(db: Path) -> dict:
    saved = dict(os.environ)
    os.environ.update(SURVEY_DB=str(db), SURVEY_CODE_KEY=KEY.decode(), SURVEY_DEMO="0",
                      SURVEY_SNAPSHOT_MINUTES="0")
    try:
        return _page_runs(db)
    finally:  # leave the environment as it was (the smoke test runs inside pytest)
        os.environ.clear()
        os.environ.update(saved)


def _page_runs(db: Path) -> dict:
    from streamlit.testing.v1 import AppTest

    from tests.conftest import add_staff, as_user
    with Store(db, KEY) as store:
        add_staff(store, "bench", "admin")
    result = {}
    for page in ("trends",):
        at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=600), "bench")
        started = time.perf_counter()
        at.switch_page(f"app_pages/{page}.py").run()
        result[f"{page}_first_ms"] = (time.perf_counter() - started) * 1000
        assert not at.exception, at.exception
        started = time.perf_counter()
        at.run()
        result[f"{page}_rerun_ms"] = (time.perf_counter() - started) * 1000
    return result


def measure(scale_name: str, runs: int, log=print) -> dict:
    scale = SCALES[scale_name]
    db = DATA / f"{scale_name}.duckdb"
    result = {"scale": scale_name, "points": scale.points, "respondents": scale.respondents,
              "months": scale.months, "date": dt.date.today().isoformat(), "machine": machine()}
    result["build"] = build(db, scale, log=log)
    rules, _ = load_rules()
    index, _ = load_index()
    with Store(db, KEY) as store:
        county = store.query("SELECT prefecture, county FROM points GROUP BY ALL "
                             "ORDER BY count(*) DESC LIMIT 1")[0]
        province, one_county = Filter(), Filter(prefecture=county[0], county=county[1])
        trend_set(store, province, rules, index, False)  # warm DuckDB's own caches once
        result["trend_province"] = timed(lambda: trend_set(store, province, rules, index, False), runs)
        result["trend_county"] = timed(lambda: trend_set(store, one_county, rules, index, True), runs)
        result["headline_province"] = timed(
            lambda: trends.headline(store, province, "month", None, 5, HEADLINE), runs)
        result["floor"] = timed(lambda: store.query(FLOOR_SQL), runs)
        result["raw_scan"] = timed(lambda: store.query(RAW_SCAN_SQL), 3)
        result["distribution_province"] = timed(
            lambda: trends.series(store, province, "meetings", "month", 5, None, True), 3)
        started = time.perf_counter()
        info = snapshot.write(store, DATA / f"{scale_name}-analytics.duckdb")
        result["snapshot"] = {"seconds": time.perf_counter() - started, "bytes": info.bytes}
        result["pandas"] = pandas_way(info.path, 3)
        log(f"{scale_name}: trend set {result['trend_province']['median_ms']:.0f} ms, floor "
            f"{result['floor']['median_ms']:.0f} ms, pandas {result['pandas']}")
        result["submit"] = [submits(store, w, 8 if w < 32 else 4) for w in (1, 8, 32)]
    result["pages"] = page_runs(db)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["bytes_per_million_submissions"] = \
        result["build"]["bytes"] / result["build"]["submissions"] * 1e6
    return result


def machine() -> str:
    model = platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, Python {platform.python_version()}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="S,M,L")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in args.scales.split(","):
        result = measure(name.strip(), args.runs)
        (RESULTS / f"{name.strip()}.json").write_text(json.dumps(result, indent=2))
    from bench.report import write
    write()


if __name__ == "__main__":
    main()
