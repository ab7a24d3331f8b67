"""Write the scale section of docs/performance.md (and its log-log plot) from
bench/results/*.json. The page-timing section written by bench/pages.py is kept."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
PLOT = ROOT / "docs" / "performance-scaling.png"
MARKER = "## Scale benchmarks"
LOAD_MARKER = "## Load and crash tests"
ORDER = ["XS", "S", "M", "L"]


def _load() -> list[dict]:
    found = {p.stem: json.loads(p.read_text()) for p in RESULTS.glob("*.json")}
    return [found[k] for k in ORDER if k in found and k != "XS"]


def _ms(entry) -> str:
    if not entry:
        return "—"
    if "error" in entry:
        return entry["error"]
    return f"{entry['median_ms']:,.0f} / {entry['p95_ms']:,.0f}"


def section(results: list[dict]) -> str:
    if not results:
        return f"{MARKER}\n\nNo results yet: run `python -m bench.run`.\n"
    lines = [MARKER, "",
             "Regenerate with `python -m bench.run --scales S,M,L` (builds each database in "
             "the real store, then measures; `BENCH_DATA` says where the databases go). "
             "Times are median / p95 in milliseconds over repeated runs in one process, "
             "caches bypassed.", ""]
    lines += [f"- {r['scale']}: measured {r['date']} on {r['machine']}" for r in results]
    lines += ["", "| | " + " | ".join(r["scale"] for r in results) + " |",
              "|---|" + "---|" * len(results)]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results) + " |")

    row("points x respondents x months", lambda r: f"{r['points']:,} x {r['respondents']} x {r['months']}")
    row("submissions", lambda r: f"{r['build']['submissions']:,}")
    row("answer rows", lambda r: f"{r['build']['answers']:,}")
    row("build (s)", lambda r: f"{r['build']['total_s']:.0f}")
    row("database size (MB)", lambda r: f"{r['build']['bytes'] / 1e6:,.0f}")
    row("MB per million submissions", lambda r: f"{r['bytes_per_million_submissions'] / 1e6:,.0f}")
    row("**trend page query set, province**", lambda r: _ms(r["trend_province"]))
    row("trend page query set, one county", lambda r: _ms(r["trend_county"]))
    row("headline figures alone, province", lambda r: _ms(r["headline_province"]))
    row("floor: one bare aggregate over the rollup", lambda r: _ms(r["floor"]))
    row("the same aggregate over the raw answers", lambda r: _ms(r.get("raw_scan")))
    row("distribution view (raw quantiles), province", lambda r: _ms(r.get("distribution_province")))
    row("pandas: load answers, group there", lambda r: _ms(r["pandas"]))
    row("**ratio trend set / floor**",
        lambda r: f"{r['trend_province']['median_ms'] / r['floor']['median_ms']:.1f}x")
    row("**ratio pandas / same figures from the rollup**",
        lambda r: "—" if not r["pandas"] or "error" in r["pandas"] else
        f"{r['pandas']['median_ms'] / r['headline_province']['median_ms']:.0f}x")
    for i, w in enumerate((1, 8, 32)):
        row(f"submit, {w} writer(s): median / p95 ms",
            lambda r, i=i: f"{r['submit'][i]['median_ms']:.0f} / {r['submit'][i]['p95_ms']:.0f}")
        row(f"submit, {w} writer(s): per second",
            lambda r, i=i: f"{r['submit'][i]['per_second']:.0f}")
    # the Streamlit fill page, gone with issue 27: its figures where a result from before has them
    row("Streamlit fill page (before the light form): first run / rerun (ms)",
        lambda r: f"{r['pages']['fill_first_ms']:.0f} / {r['pages']['fill_rerun_ms']:.0f}"
        if "fill_first_ms" in r["pages"] else "—")
    row("trend page: first run / rerun (ms)",
        lambda r: f"{r['pages']['trends_first_ms']:.0f} / {r['pages']['trends_rerun_ms']:.0f}")
    row("snapshot: seconds / MB",
        lambda r: f"{r['snapshot']['seconds']:.1f} / {r['snapshot']['bytes'] / 1e6:,.0f}")
    row("peak memory of the process (MB)", lambda r: f"{r['peak_rss_mb']:,.0f}")
    lines += ["", f"![How the costs grow with the data]({PLOT.name})", ""]
    return "\n".join(lines) + "\n"


def plot(results: list[dict]) -> None:
    rows = []
    for r in results:
        n = r["build"]["submissions"]
        for label, entry in (("trend query set (province)", r["trend_province"]),
                             ("floor: bare scan of the rollup", r["floor"]),
                             ("raw scan of the answers", r.get("raw_scan")),
                             ("pandas", r["pandas"]),
                             ("submit p95, 32 writers", {"median_ms": r["submit"][2]["p95_ms"]})):
            if entry and "median_ms" in entry:
                rows.append({"submissions": n, "ms": entry["median_ms"], "what": label})
    chart = alt.Chart(pd.DataFrame(rows)).mark_line(point=True).encode(
        x=alt.X("submissions:Q", scale=alt.Scale(type="log"), title="submissions (log)"),
        y=alt.Y("ms:Q", scale=alt.Scale(type="log"), title="milliseconds (log)"),
        color=alt.Color("what:N", title=None)).properties(width=520, height=300,
                                                          title="Cost against data size")
    chart.save(str(PLOT), format="png", scale_factor=1.5)


def load_section() -> str:
    runs = {name: json.loads((RESULTS / f"{name}.json").read_text())
            for name in ("load", "crash", "snapshot_kill") if (RESULTS / f"{name}.json").exists()}
    lines = [LOAD_MARKER, "",
             "Regenerate with `python -m bench.load --pages 20 --rounds 3`, `... --crash` and "
             "`... --snapshot-kill`. Real headless Chromium pages (Debian chromium driven by "
             "Playwright) against one `streamlit run` server on this machine; each page "
             "submits through the real form at 375 px. The 20 browsers and the server share "
             "the same 2 cores, so click-to-receipt times measure that crowded machine (each "
             "page waits for its reruns behind 19 others), not the store, whose submit path "
             "is in the scale table.", ""]
    for name, label in (("load", "Load"), ("crash", "Load with kill -9 of the server after 20 s")):
        if name in runs:
            r = runs[name]
            lines.append(
                f"- {label} ({r['date']}): {r['pages']} pages x {r['rounds']} submissions, "
                f"{r['acknowledged']} acknowledged in {r['seconds']:.0f} s; missing "
                f"**{r['missing']}**, duplicated **{r['duplicated']}**; submit (click to receipt) "
                f"median {r['submit_median_ms'] or 0:.0f} ms, p95 {r['submit_p95_ms'] or 0:.0f} ms; "
                f"page errors {len([e for e in r['error_kinds'] if 'SIGKILL' not in e])}"
                + (f"; draft typed before the kill still there: **{r['draft_kept']}**"
                   if r.get("draft_kept") is not None else ""))
    if "snapshot_kill" in runs:
        r = runs["snapshot_kill"]
        lines.append(f"- Snapshot writer killed halfway ({r['date']}): killed mid-write "
                     f"{r['killed_midway']}, previous snapshot still usable "
                     f"**{r['previous_usable']}**, replaced by the next run "
                     f"**{r['replaced_next_run']}**, leftover removed {r['leftover_removed']}")
    return "\n".join(lines) + "\n"


def _replace(text: str, marker: str, body: str) -> str:
    if marker in text:
        head, _, rest = text.partition(marker)
        tail = rest.split("\n## ", 1)
        return head + body + ("\n## " + tail[1] if len(tail) > 1 else "")
    return text.rstrip("\n") + "\n\n" + body


def write() -> None:
    results = _load()
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n\n"
    text = _replace(text, MARKER, section(results))
    text = _replace(text, LOAD_MARKER, load_section())
    DOC.write_text(text, encoding="utf-8")
    if results:
        plot(results)


if __name__ == "__main__":
    write()
