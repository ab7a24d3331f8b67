"""What the respondents' form costs the server: `python -m bench.form_load [--respondents 1000]
[--ramp 20] [--think 1.5]`.

The light form (/f, plain HTML over HTTP): N respondents, each a new cadre whose last month is
on file, do the whole monthly flow at once, as the last two days of a month bring them: open the
QR link, 与上期相同,一键确认, 提交, read the receipt. All N start within `--ramp` seconds and wait
`--think` seconds (± half) between taps, so their sessions overlap. Each is an HTTP client of
its own (cookies of its own) on loopback; forms are read from the pages as a browser would (the
hidden fields and buttons each page draws), so the bench follows the templates as they change.

The Streamlit fill page, compared here until issue 27's cutover removed it, has its figures in
docs/performance.md as measured then.

Measured on the server process: CPU seconds it used during the run, RSS before / peak, and per
concurrent respondent; per request latency (median, p95); afterwards the database must hold every
acknowledged submission exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import KEY, RECEIPT, Server, prepare  # noqa: E402
from survey.store import Store  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


class Forms(HTMLParser):
    """The page's forms as a browser would post them: each form's fields (hidden, text, the
    checked choices) and its buttons' (name, value)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"fields": [], "buttons": []})
        elif not self.forms:
            return
        elif tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind not in ("submit", "button"):
                self.forms[-1]["fields"].append((a["name"], a.get("value", "")))

    def post_for(self, button_value: str) -> list[tuple[str, str]] | None:
        """What tapping the button with this value posts; None if no form has it."""
        for form in self.forms:
            for name, value in form["buttons"]:
                if value == button_value:
                    return [*form["fields"], (name, value)]
        return None


@dataclass
class Tally:
    receipts: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)   # seconds per request
    errors: list[str] = field(default_factory=list)


class Sampler(threading.Thread):
    """RSS of one process, sampled every `every` seconds, and its CPU seconds."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_mb, self.stopped = pid, every, 0.0, threading.Event()

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_SIZE / 1e6

    def cpu_s(self) -> float:
        with open(f"/proc/{self.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def run(self):
        while not self.stopped.is_set():
            try:
                self.peak_mb = max(self.peak_mb, self.rss_mb())
            except OSError:
                return
            self.stopped.wait(self.every)


async def one_respondent(url: str, code: str, ramp: float, think: float, tally: Tally) -> None:
    import httpx
    await asyncio.sleep(random.uniform(0, ramp))
    # a new connection per request: httpx does not resend a request whose kept-alive
    # connection the server closed meanwhile (browsers do), which made server-side idle
    # timeouts look like failed respondents
    async with httpx.AsyncClient(base_url=url, follow_redirects=True, timeout=120,
                                 headers={"Origin": url},
                                 limits=httpx.Limits(max_keepalive_connections=0)) as client:

        async def request(method: str, path: str, data=None):
            started = time.perf_counter()
            response = await client.request(
                method, path, content=urlencode(data) if data else None,
                headers={"Content-Type": "application/x-www-form-urlencoded"} if data else None)
            tally.latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            return response.text

        try:
            page = await request("GET", f"/f?code={code}")
            for tap in ("keep", "submit"):  # the unchanged month: two taps
                await asyncio.sleep(random.uniform(think / 2, think * 1.5))
                post = Forms(page).post_for(tap)
                if post is None:
                    raise RuntimeError(f"no '{tap}' button on the page")
                page = await request("POST", "/f", data=post)
            found = RECEIPT.search(page)
            if not found:
                raise RuntimeError("no receipt after submit")
            tally.receipts.append(found[0])
        except Exception as exc:  # noqa: BLE001 - counted, the others go on
            tally.errors.append(f"{type(exc).__name__}: {str(exc)[:80]}")


def light(respondents: int, ramp: float, think: float, folder: Path) -> dict:
    db = folder / "form-load.duckdb"
    codes, period = prepare(db, respondents, 0)
    server = Server({"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode(),
                     "SURVEY_DEMO": "0", "SURVEY_SNAPSHOT_MINUTES": "0"})
    server.start()
    sampler = Sampler(server.proc.pid)
    idle_mb, cpu_before = sampler.rss_mb(), sampler.cpu_s()
    sampler.start()
    tally, started = Tally(), time.perf_counter()
    try:
        async def everyone():
            await asyncio.gather(*(one_respondent(server.url, c[0], ramp, think, tally)
                                   for c in codes))
        asyncio.run(everyone())
        elapsed = time.perf_counter() - started
        cpu = sampler.cpu_s() - cpu_before
    finally:
        sampler.stopped.set()
        server.stop()
    found = _stored(db, tally.receipts)
    return {"form": "light (/f)", "respondents": respondents, "ramp_s": ramp, "think_s": think,
            "seconds": round(elapsed, 1), "acknowledged": len(tally.receipts),
            "missing": sum(r not in found for r in tally.receipts),
            "duplicated": sum(n > 1 for n in found.values()),
            "errors": len(tally.errors), "error_kinds": sorted(set(tally.errors))[:5],
            "requests": len(tally.latencies), **_latency(tally.latencies),
            "server_cpu_s": round(cpu, 1),
            "server_cpu_ms_per_respondent": round(cpu * 1000 / respondents, 1),
            "server_rss_idle_mb": round(idle_mb), "server_rss_peak_mb": round(sampler.peak_mb),
            "server_mb_per_respondent": round((sampler.peak_mb - idle_mb) / respondents, 3)}


def _stored(db: Path, receipts: list[str]) -> dict[str, int]:
    if not receipts:
        return {}
    with Store(db, KEY) as store:
        return dict(store.query(
            f"SELECT submission_id, count(*) FROM submission WHERE submission_id IN "
            f"({', '.join('?' * len(receipts))}) GROUP BY ALL", receipts))


def _latency(seconds: list[float]) -> dict:
    if not seconds:
        return {}
    ordered = sorted(seconds)
    return {"request_median_ms": round(statistics.median(ordered) * 1000),
            "request_p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))] * 1000)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--ramp", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=1.5)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="survey-form-load-"))
    load = os.getloadavg()[0]
    results = [light(args.respondents, args.ramp, args.think, folder)]
    for result in results:
        result.update({"date": dt.date.today().isoformat(), "cpus": os.cpu_count(),
                       "load_before": round(load, 1)})
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
