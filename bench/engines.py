"""`python -m bench.engines --scale S [--scale M] [--pg-scales S]`: the two store engines side by
side in one run, on the same generated data (bench.generate; copied into a throwaway PostgreSQL
cluster for the PostgreSQL engine). Writes bench/results/engines-<scale>.json and prints a
Markdown table.

Measured for each engine:
- submit: the real Store.submit with 1, 8 and 32 concurrent writers. DuckDB: one app process
  (the file admits one); PostgreSQL: the writers spread over two app processes, each with its
  own Store on the same database. Median and p95 latency, submissions per second; `--repeats`
  rounds, reported as the median and range of the rounds.
- the leader's first view: what the trends page computes on its first load with its defaults
  (region tree, period range, point names; the headline overview, the warnings and the
  meetings series for the whole province), in a fresh process (a new Store, no cache), then
  the same again in that process (rerun, caches of the page bypassed). `--views` processes.
- freshness: how long until a new submission is visible to analysts. DuckDB: analysts read the
  snapshot, so it is the scheduler's period plus the time to write the snapshot (measured);
  PostgreSQL: a second Store (a second app) reads it live through DuckDB's postgres
  extension: time from the receipt to the first query that sees it.
- the refresh cost itself (snapshot write: seconds and bytes) at each scale;
- resident memory (RSS) of the app processes measured here.

The PostgreSQL cluster is the tests' (tests.pg_support.Cluster), switched back to durable
commits (fsync, synchronous_commit, full_page_writes on) so both engines flush each commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import KEY, SCALES, build  # noqa: E402
from bench.run import machine, submit_all  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATA = Path(os.environ.get("BENCH_DATA", tempfile.gettempdir())) / "survey-engines"
K = 5


def rss_mb() -> dict:
    """Resident memory now and at its peak, in MB."""
    now = 0.0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
    return {"rss_mb": now, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def spread(values: list[float]) -> dict:
    values = sorted(values)
    return {"median": statistics.median(values), "min": values[0], "max": values[-1],
            "n": len(values)}


# -- what one app process does (run as a child: `python -m bench.engines --child ...`) ---------

def leader_first_view(store) -> dict:
    """What app_pages/trends.py computes on its first load with its defaults, timed in two
    parts (ms): the figures (region tree, period range, point names; headline overview and the
    meetings series for the whole province) and the warnings (per point)."""
    from survey import trends
    from survey.leader_config import load_rules
    from survey.metrics import Filter
    from survey.store import analytics
    province = Filter()
    rules = load_rules()[0]
    started = time.perf_counter()
    analytics.regions(store), analytics.period_range(store), analytics.point_names(store)
    store.has_demo()
    # as the page: the tiles' intervals and the warnings share one read of the cells
    trends.overview(store, province, "month", None, K, tuple(rules))
    trends.series(store, province, "meetings", "month", K)
    figures = time.perf_counter()
    trends.alerts(store, province, rules, K, evidence=False)  # as the page: a count
    ended = time.perf_counter()
    return {"figures": (figures - started) * 1000, "warnings": (ended - figures) * 1000,
            "total": (ended - started) * 1000}


def child_view(target: str, reruns: int) -> dict:
    from survey.store import Store
    started = time.perf_counter()
    store = Store(target, KEY)
    opened = time.perf_counter() - started
    first = leader_first_view(store)
    again = [leader_first_view(store) for _ in range(reruns)]
    result = {"open_ms": opened * 1000, **{f"first_{k}_ms": v for k, v in first.items()},
              **{f"rerun_{k}_ms": statistics.median(a[k] for a in again) for k in first},
              **rss_mb()}
    store.close()
    return result


def child_submit(target: str, writers: int, offset: int, per_writer: int) -> dict:
    """Prepare `writers` cadres' codes at their own points, say ready, wait for go, submit."""
    from survey import periods
    from survey.store import Store
    from tests.conftest import complete_answers
    store = Store(target, KEY)
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    period = periods.key_for("month", dt.date.today())
    points = [p.point_id for p in store.points()[offset:offset + writers]]
    respondents = [store.respondent(code) for point in points
                   for code in store.issue_codes(point, per_writer, "bench")]
    store.submit(store.respondent(store.issue_codes(points[0], 1, "bench")[0]), qn, period,
                 complete_answers(), os.urandom(8).hex())  # the group committer is running
    print("ready", flush=True)
    sys.stdin.readline()
    latencies, began, ended = submit_all(store, qn, period, respondents, writers)
    result = {"latencies": latencies, "began": began, "ended": ended, **rss_mb()}
    store.close()
    return result


def _child(args: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench.engines", "--child", *args], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _answer(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


# -- the parent: both engines, side by side -----------------------------------------------------

def views(target: str, processes: int) -> dict:
    runs = [_answer(_child(["view", target, "3"])) for _ in range(processes)]
    return {key: spread([r[key] for r in runs]) for key in runs[0]}


def submit_round(target: str, writers: int, apps: int, offset: int) -> dict:
    per_writer = {1: 30, 8: 8, 32: 4}[writers]
    shares = [writers // apps + (i < writers % apps) for i in range(apps)]
    shares = [s for s in shares if s]
    procs, start = [], offset
    for share in shares:
        procs.append(_child(["submit", target, str(share), str(start), str(per_writer)]))
        start += share
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    runs = [_answer(proc) for proc in procs]
    latencies = sorted(x for r in runs for x in r["latencies"])
    elapsed = max(r["ended"] for r in runs) - min(r["began"] for r in runs)
    return {"writers": writers, "apps": len(shares), "submissions": len(latencies),
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[round(0.95 * (len(latencies) - 1))] * 1000,
            "per_second": len(latencies) / elapsed,
            "rss_mb": max(r["rss_mb"] for r in runs)}


def submits(target: str, apps: int, repeats: int) -> list[dict]:
    out, offset = [], 0
    for writers in (1, 8, 32):
        rounds = []
        for _ in range(repeats):
            rounds.append(submit_round(target, writers, apps, offset))
            offset += writers + 2
        out.append({"writers": writers, "apps": rounds[0]["apps"],
                    **{key: spread([r[key] for r in rounds])
                       for key in ("median_ms", "p95_ms", "per_second", "rss_mb")}})
    return out


def _one_submission(store, point_offset: int) -> str:
    from survey import periods
    from tests.conftest import complete_answers
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    point = store.points()[point_offset].point_id
    respondent = store.respondent(store.issue_codes(point, 1, "bench")[0])
    return store.submit(respondent, qn, periods.key_for("month", dt.date.today()),
                        complete_answers(), os.urandom(8).hex()).submission_id


def snapshot_refresh(target: str, folder: Path, runs: int) -> dict:
    """A submission, then the snapshot written: the analysts see it once the write is done."""
    from survey import snapshot_schedule
    from survey.store import Store
    times, size = [], 0
    with Store(target, KEY) as store:
        for i in range(runs):
            sid = _one_submission(store, 200 + i)
            started = time.perf_counter()
            info = snapshot_schedule.refresh(store, folder / "analytics.duckdb")
            times.append(time.perf_counter() - started)
            size = info.bytes
            import duckdb
            with duckdb.connect(str(info.path), read_only=True) as con:
                assert con.execute("SELECT count(*) FROM submissions WHERE submission_id = ?",
                                   [sid]).fetchone()[0] == 1
    return {"seconds": spread(times), "mb": size / 1e6}


def live_visibility(url: str, runs: int) -> dict:
    """PostgreSQL: submit through one Store, poll a second Store (another app) until its
    analysts' query sees the submission."""
    from survey.store import Store
    waits, queries = [], []
    with Store(url, KEY) as writer, Store(url, KEY) as reader:
        reader.query("SELECT count(*) FROM submissions")  # the reader's attach is made
        for i in range(runs):
            sid = _one_submission(writer, 200 + i)
            receipt = time.perf_counter()
            while True:
                began = time.perf_counter()
                seen = reader.query("SELECT count(*) FROM submissions WHERE submission_id = ?",
                                    [sid])[0][0]
                queries.append(time.perf_counter() - began)
                if seen:
                    break
            waits.append(time.perf_counter() - receipt)
    return {"visible_ms": spread([w * 1000 for w in waits]),
            "query_ms": spread([q * 1000 for q in queries])}


def postgres_copy(duckdb_path: Path, url: str) -> float:
    """The generated database into PostgreSQL (same tables, same column order), through
    DuckDB's postgres extension (binary COPY), then ANALYZE."""
    import psycopg

    from survey.store import Store
    from survey.store.engine import duckdb_with_postgres, libpq_dsn
    started = time.perf_counter()
    Store(url, KEY).close()  # the schema, by the store's own migrations
    con = duckdb_with_postgres()
    con.execute(f"ATTACH '{duckdb_path}' AS src (READ_ONLY)")
    con.execute(f"ATTACH '{libpq_dsn(url)}' AS dst (TYPE postgres)")
    tables = [t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' "
        "AND table_name <> 'schema_migrations' ORDER BY table_name").fetchall()]
    for table in tables:
        con.execute(f"DELETE FROM dst.public.{table}")
        con.execute(f"INSERT INTO dst.public.{table} SELECT * FROM src.main.{table}")
    sequences = {"audit_seq": ("audit_log", "audit_id"), "review_seq": ("review_event", "event_id")}
    last = {seq: con.execute(f"SELECT coalesce(max({col}), 0) FROM src.main.{table}").fetchone()[0]
            for seq, (table, col) in sequences.items()}
    con.close()
    with psycopg.connect(url, autocommit=True) as conn:
        for seq, value in last.items():
            conn.execute("SELECT setval(%s, %s)", [seq, value + 1])
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def durable(cluster) -> None:
    """The test cluster runs without fsync; the benchmark flushes each commit like DuckDB."""
    import psycopg
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = on")
        conn.execute("SELECT pg_reload_conf()")


def measure(scale_name: str, postgres: bool, cluster, args, log=print) -> dict:
    scale = SCALES[scale_name]
    db = DATA / f"{scale_name}.duckdb"
    result = {"scale": scale_name, "date": dt.date.today().isoformat(), "machine": machine(),
              "points": scale.points, "respondents": scale.respondents, "months": scale.months}
    if args.reuse and db.exists():
        log(f"{scale_name}: reusing {db} (built {dt.datetime.fromtimestamp(db.stat().st_mtime)})")
    else:
        result["build_s"] = build(db, scale, log=log)["total_s"]
    engines = {"duckdb": str(db)}
    if postgres:
        import psycopg
        url = cluster.new_database()
        log(f"{scale_name}: copying into PostgreSQL")
        result["postgres_load_s"] = postgres_copy(db, url)
        with psycopg.connect(url) as conn:
            result["postgres_mb"] = conn.execute(
                "SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
        engines["postgres"] = url
    result["duckdb_mb"] = db.stat().st_size / 1e6
    for name in engines:
        result[name] = {}
    for name, target in engines.items():
        log(f"{scale_name} {name}: leader's first view")
        mine = result[name]
        mine["view"] = views(target, args.views)
        log(f"  {mine['view']['first_total_ms']}")
        if not args.no_submit:
            log(f"{scale_name} {name}: submits")
            mine["submit"] = submits(target, 2 if name == "postgres" else 1, args.repeats)
        if args.no_snapshot:
            continue
        log(f"{scale_name} {name}: freshness")
        folder = DATA / f"{scale_name}-{name}-snapshot"
        folder.mkdir(parents=True, exist_ok=True)
        if name == "duckdb" or scale_name in args.pg_snapshot.split(","):
            mine["snapshot"] = snapshot_refresh(target, folder, 1 if scale_name != "S" else 3)
        if name == "postgres":
            mine["live"] = live_visibility(target, 10)
    return result


def table(result: dict) -> str:
    """The result of one scale as Markdown rows: engine columns side by side."""
    names = [n for n in ("duckdb", "postgres") if n in result]

    def cell(d: dict, unit: str = "", digits: int = 0) -> str:
        f = f"{{:,.{digits}f}}"
        if d["n"] == 1:
            return f.format(d["median"]) + unit
        return (f"{f.format(d['median'])}{unit} ({f.format(d['min'])}–{f.format(d['max'])}, "
                f"n={d['n']})")

    rows = [f"| {result['scale']} | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names)]

    def row(label: str, fn) -> None:
        values = []
        for n in names:
            try:
                values.append(fn(result[n]))
            except (KeyError, IndexError, TypeError):
                values.append("–")
        rows.append(f"| {label} | " + " | ".join(values) + " |")

    for part, what in (("figures", "figures (tiles, series, regions)"),
                       ("warnings", "warnings (per point)"), ("total", "whole")):
        row(f"leader first view, fresh process: {what} (ms)",
            lambda r, part=part: cell(r["view"][f"first_{part}_ms"]))
        row(f"the same again in that process: {what} (ms)",
            lambda r, part=part: cell(r["view"][f"rerun_{part}_ms"]))
    row("opening the Store (ms)", lambda r: cell(r["view"]["open_ms"]))
    for i, writers in enumerate((1, 8, 32)):
        row(f"submit, {writers} writer(s): app processes",
            lambda r, i=i: str(r["submit"][i]["apps"]))
        row(f"submit, {writers} writer(s): median ms",
            lambda r, i=i: cell(r["submit"][i]["median_ms"]))
        row(f"submit, {writers} writer(s): p95 ms", lambda r, i=i: cell(r["submit"][i]["p95_ms"]))
        row(f"submit, {writers} writer(s): per second",
            lambda r, i=i: cell(r["submit"][i]["per_second"]))
    row("new submission visible to analysts", lambda r: (
        f"live: {cell(r['live']['visible_ms'], ' ms', 1)}" if "live" in r else
        f"next snapshot: ≤ 5 min + {cell(r['snapshot']['seconds'], ' s', 1)}"))
    row("snapshot refresh (s / MB)", lambda r: f"{cell(r['snapshot']['seconds'], '', 1)} / "
        f"{r['snapshot']['mb']:,.0f}")
    row("app process RSS after the view: now / peak (MB)",
        lambda r: f"{r['view']['rss_mb']['median']:,.0f} / {r['view']['peak_rss_mb']['median']:,.0f}")
    row("app process RSS, submitting (MB, max)",
        lambda r: f"{max(s['rss_mb']['max'] for s in r['submit']):,.0f}")
    return "\n".join(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", default=None, help="S, M, L (repeatable)")
    parser.add_argument("--pg-scales", default="S",
                        help="scales also measured on PostgreSQL (M copies 26 M answer rows)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of each submit load")
    parser.add_argument("--views", type=int, default=5, help="fresh processes for the view")
    parser.add_argument("--pg-snapshot", default="S",
                        help="scales at which to time the (optional) snapshot on PostgreSQL too")
    parser.add_argument("--no-submit", action="store_true")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="skip the freshness part (the snapshot at L writes ~6 GB)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database already in BENCH_DATA instead of building it")
    parser.add_argument("--label", default="",
                        help="appended to the result's file name (engines-M<label>.json)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, target, *rest = args.child
        out = child_view(target, int(rest[0])) if kind == "view" else \
            child_submit(target, *map(int, rest))
        print(json.dumps(out), flush=True)
        return
    from tests.pg_support import Cluster
    scales = args.scale or ["S"]
    pg_scales = {s.strip() for s in args.pg_scales.split(",") if s.strip()}
    cluster = Cluster() if pg_scales & set(scales) else None
    try:
        if cluster:
            durable(cluster)
        RESULTS.mkdir(parents=True, exist_ok=True)
        for name in scales:
            result = measure(name, name in pg_scales, cluster, args)
            (RESULTS / f"engines-{name}{args.label}.json").write_text(json.dumps(result, indent=2))
            print(f"\nMeasured {result['date']} on {result['machine']}\n")
            print(table(result))
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
