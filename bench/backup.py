"""`python -m bench.backup --scale S [--scale M] [--pg-scales S] [--reuse]`: backups and
restores at scale, on the data of bench.generate. Writes bench/results/backup-<scale>.json and
prints a Markdown table (docs/performance.md).

Measured, each in a fresh process (peak RSS is that process's):
- backup of the DuckDB file (survey.backup.make_backup, what the app's thread runs): seconds,
  file size, peak RSS; and a cadre's submit meanwhile (one writer in the same process, as in
  the app): median and p95 latency before and during the backup;
- restore of that backup into a new DuckDB file, and (--pg-scales) into a new PostgreSQL
  database (the move from one machine to PostgreSQL);
- on PostgreSQL: the backup (DuckDB reading it in one REPEATABLE READ transaction) beside
  pg_dump's custom format of the same database, for comparison;
- the encryption choice on 256 MB: pyrage.encrypt_io to an X25519 recipient (streamed, what a
  backup uses) against pyrage.passphrase.encrypt (bytes in memory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engines import durable, rss_mb  # noqa: E402
from bench.generate import KEY, SCALES, build  # noqa: E402
from bench.run import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATA = Path(os.environ.get("BENCH_DATA", tempfile.gettempdir())) / "survey-backup"
PASSPHRASE = "bench passphrase, long enough"


# -- children ------------------------------------------------------------------------------

def child_backup(target: str, dest: str, writer: bool) -> dict:
    from survey import backup, periods
    from survey.store import Store
    from tests.conftest import complete_answers
    store = Store(target, KEY)
    latencies: dict[str, list[float]] = {"before": [], "during": []}
    done = threading.Event()
    if writer:
        qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        period = periods.key_for("month", dt.date.today())
        point = store.points()[0].point_id
        # Codes are issued a printed sheet (at most 200) at a time, as an office would.
        codes = [c for _ in range(2) for c in store.issue_codes(point, 200, "bench")]
        cadres = [store.respondent(c) for c in codes]

        def submit(some: list, phase: str) -> None:
            for cadre in some:
                if done.is_set():
                    return
                started = time.perf_counter()
                store.submit(cadre, qn, period, complete_answers(), os.urandom(8).hex())
                latencies[phase].append(time.perf_counter() - started)
                time.sleep(0.05)
        submit(cadres[:30], "before")
        thread = threading.Thread(target=submit, args=(cadres[30:], "during"))
        thread.start()
    info = backup.make_backup(store, KEY, Path(dest), PASSPHRASE)
    done.set()
    if writer:
        thread.join()
    store.close()
    out = {"seconds": info.seconds, "bytes": info.bytes, "rows": info.rows,
           "path": str(info.path), **rss_mb()}
    for phase, values in latencies.items():
        if len(values) >= 2:
            out[f"submit_{phase}_ms"] = {
                "median": statistics.median(values) * 1000,
                "p95": statistics.quantiles(values, n=20)[-1] * 1000, "n": len(values)}
    return out


def child_restore(source: str, target: str) -> dict:
    from survey import restore
    started = time.perf_counter()
    db_path = Path(target) if not target.startswith("postgresql") else DATA / "unused.duckdb"
    report = restore.restore(Path(source), PASSPHRASE, target, db_path, given_key=KEY)
    return {"seconds": time.perf_counter() - started, "rows": sum(report.rows.values()),
            **rss_mb()}


def child_encrypt(mb: int, how: str) -> dict:
    import io

    import pyrage
    from pyrage import passphrase, x25519
    data = os.urandom(mb * 2 ** 20)
    base = rss_mb()["rss_mb"]
    started = time.perf_counter()
    if how == "stream":
        identity = x25519.Identity.generate()
        with open(os.devnull, "wb") as sink:
            pyrage.encrypt_io(io.BytesIO(data), sink, [identity.to_public()])
    else:
        passphrase.encrypt(data, PASSPHRASE)
    return {"seconds": time.perf_counter() - started,
            "extra_peak_mb": rss_mb()["peak_rss_mb"] - base}


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.backup", "--child", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=7200)
    if done.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the parent ----------------------------------------------------------------------------

def pg_dump(cluster, url: str, out: Path) -> dict:
    started = time.perf_counter()
    subprocess.run([str(cluster.bindir / "pg_dump"), "-Fc", "-f", str(out), url], check=True,
                   timeout=7200)
    return {"seconds": time.perf_counter() - started, "bytes": out.stat().st_size}


def measure(scale_name: str, cluster, args, log=print) -> dict:
    db = DATA / f"{scale_name}.duckdb"
    result = {"scale": scale_name, "date": dt.date.today().isoformat(), "machine": machine()}
    if args.reuse and db.exists():
        log(f"{scale_name}: reusing {db}")
    else:
        result["build_s"] = build(db, SCALES[scale_name], log=log)["total_s"]
    result["duckdb_mb"] = db.stat().st_size / 1e6
    folder = DATA / f"{scale_name}-backups"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.zip"):
        old.unlink()
    log(f"{scale_name}: backup of the DuckDB file, a cadre submitting meanwhile")
    result["backup_duckdb"] = made = _child("backup", str(db), str(folder), "writer")
    log(f"  {made['seconds']:.1f} s, {made['bytes'] / 1e6:.1f} MB")
    restored = DATA / f"{scale_name}-restored" / "survey.duckdb"
    for leftover in restored.parent.glob("*"):
        leftover.unlink()
    log(f"{scale_name}: restore into a new DuckDB file")
    result["restore_duckdb"] = _child("restore", made["path"], str(restored))
    log(f"  {result['restore_duckdb']['seconds']:.1f} s")
    if cluster is not None and scale_name in args.pg_scales.split(","):
        url = cluster.new_database()
        log(f"{scale_name}: restore into a new PostgreSQL database")
        result["restore_postgres"] = _child("restore", made["path"], url)
        log(f"  {result['restore_postgres']['seconds']:.1f} s")
        pg_folder = DATA / f"{scale_name}-pg-backups"
        pg_folder.mkdir(exist_ok=True)
        for old in pg_folder.glob("*"):
            old.unlink()
        log(f"{scale_name}: backup of PostgreSQL, and pg_dump -Fc of it")
        result["backup_postgres"] = _child("backup", url, str(pg_folder), "")
        result["pg_dump_custom"] = pg_dump(cluster, url, pg_folder / "dump.pgc")
    return result


def table(results: list[dict]) -> str:
    def ms(d: dict | None) -> str:
        return f"{d['median']:.0f} / {d['p95']:.0f} ms (n={d['n']})" if d else "—"

    lines = ["| scale | DuckDB file | backup | file | peak RSS | submit before / during (median / p95) "
             "| restore → DuckDB | restore → PostgreSQL | PostgreSQL backup | pg_dump -Fc |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        b, rd, rp = r["backup_duckdb"], r["restore_duckdb"], r.get("restore_postgres")
        bp, dump = r.get("backup_postgres"), r.get("pg_dump_custom")
        lines.append(
            f"| {r['scale']} | {r['duckdb_mb']:,.0f} MB | {b['seconds']:.1f} s | "
            f"{b['bytes'] / 1e6:,.0f} MB | {b['peak_rss_mb']:,.0f} MB | "
            f"{ms(b.get('submit_before_ms'))}, {ms(b.get('submit_during_ms'))} | "
            f"{rd['seconds']:.1f} s | " + (f"{rp['seconds']:.1f} s" if rp else "—") + " | "
            + (f"{bp['seconds']:.1f} s, {bp['bytes'] / 1e6:,.0f} MB" if bp else "—") + " | "
            + (f"{dump['seconds']:.1f} s, {dump['bytes'] / 1e6:,.0f} MB" if dump else "—") + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--scale", action="append", choices=list(SCALES))
    parser.add_argument("--pg-scales", default="S", help="scales also restored into and backed "
                        "up from PostgreSQL, comma separated (default S)")
    parser.add_argument("--reuse", action="store_true", help="reuse a database built before")
    parser.add_argument("--encrypt-mb", type=int, default=256)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        out = {"backup": lambda: child_backup(rest[0], rest[1], bool(rest[2:] and rest[2])),
               "restore": lambda: child_restore(*rest),
               "encrypt": lambda: child_encrypt(int(rest[0]), rest[1])}[kind]()
        print(json.dumps(out))
        return
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    scales = args.scale or ["S"]
    cluster = None
    if set(args.pg_scales.split(",")) & set(scales):
        from tests.pg_support import Cluster
        cluster = Cluster()
        durable(cluster)
    results = []
    try:
        for name in scales:
            result = measure(name, cluster, args)
            (RESULTS / f"backup-{name}.json").write_text(json.dumps(result, indent=2))
            results.append(result)
    finally:
        if cluster is not None:
            cluster.stop()
    encryption = {how: _child("encrypt", str(args.encrypt_mb), how)
                  for how in ("stream", "passphrase")}
    (RESULTS / "backup-encryption.json").write_text(json.dumps(
        {"mb": args.encrypt_mb, "date": dt.date.today().isoformat(), "machine": machine(),
         **encryption}, indent=2))
    print(table(results))
    print(f"\nencrypting {args.encrypt_mb} MB: " + "; ".join(
        f"{how} {r['seconds']:.1f} s, +{r['extra_peak_mb']:,.0f} MB peak RSS"
        for how, r in encryption.items()))


if __name__ == "__main__":
    main()
