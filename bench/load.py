"""Load and crash tests with real browsers: `python -m bench.load [--pages 20] [--rounds 3]
[--crash]`.

N headless Chromium pages (Debian's chromium, driven by Playwright's async API) use one
`streamlit run` server. Each page submits the monthly survey `rounds` times, each time as a new
cadre whose last month is on file, through the real form (the light form, /f, with its
script; until issue 27 the Streamlit fill page): open the QR link, "nothing changed", submit,
read the receipt. Every receipt a page saw is an
acknowledged submission. With --crash the server is killed with SIGKILL in the middle of the
load, and restarted; the pages carry on. Afterwards the database must hold every acknowledged
submission exactly once, and a draft typed before the kill must still be there.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from survey import periods  # noqa: E402
from survey.bootstrap import publish_dir  # noqa: E402
from survey.store import Point, Store  # noqa: E402
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

KEY = b"load-test-key"
RECEIPT = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@dataclass
class Outcome:
    receipts: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Server:
    def __init__(self, env: dict):
        self.env, self.port, self.proc = env, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        log = open(Path(self.env["SURVEY_DB"]).with_suffix(".server.log"), "a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "survey_app.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1"],
            cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def prepare(db: Path, pages: int, rounds: int) -> tuple[list[list[str]], str]:
    """A database with one point per page and a cadre per round, each with last month's report
    on file (so the form opens pre-filled). Returns the codes and the current period."""
    from tests.conftest import complete_answers
    store = Store(db, KEY)
    publish_dir(store, ROOT / "questionnaires")
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    today = dt.date.today()
    period = periods.key_for("month", today)
    last = periods.previous("month", period)
    store.add_points([Point(f"L{i:03d}", f"负载测试点{i}", "village", "village",
                            ("测试市", "测试县", "测试镇")) for i in range(pages)])
    codes = []
    for i in range(pages):
        page_codes = store.issue_codes(f"L{i:03d}", rounds + 1)
        for n, code in enumerate(page_codes):
            store.submit(store.respondent(code), qn, last, complete_answers(), f"seed-{i}-{n}",
                         today=today)
        codes.append(page_codes)
    store.close()
    return codes, period


async def settle(page) -> None:
    """The page's script has its answer from the server (its steps go by fetch)."""
    await asyncio.sleep(0.25)
    await page.wait_for_load_state("networkidle", timeout=60000)


async def one_submission(page, url: str, code: str) -> tuple[str, float]:
    await page.goto(f"{url}/f?code={code}")
    await page.get_by_role("button", name="与上期相同,一键确认").click(timeout=60000)
    await settle(page)  # an unchanged month: straight to the confirmation
    started = time.perf_counter()
    await page.get_by_role("button", name="提交").click()
    await page.get_by_text("已提交,谢谢!").wait_for(timeout=60000)
    latency = time.perf_counter() - started
    text = await page.get_by_text(re.compile("回执编号")).inner_text()
    return RECEIPT.search(text)[0], latency


async def run_page(browser, server: Server, codes: list[str], outcome: Outcome) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 800})
    page = await context.new_page()
    for code in codes:
        for attempt in range(3):  # a submission interrupted by the crash is tried again
            try:
                receipt, latency = await one_submission(page, server.url, code)
                outcome.receipts.append(receipt)
                outcome.latencies.append(latency)
                break
            except Exception as exc:  # noqa: BLE001 - recorded, then retried
                outcome.errors.append(f"{code}: {type(exc).__name__}")
                await asyncio.sleep(2)
    await context.close()


async def drive(server: Server, codes: list[list[str]], crash_after: float | None) -> Outcome:
    from playwright.async_api import async_playwright
    outcome = Outcome()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tasks = [asyncio.create_task(run_page(browser, server, page_codes, outcome))
                 for page_codes in codes]
        if crash_after is not None:
            await asyncio.sleep(crash_after)
            server.kill()
            outcome.errors.append("server killed with SIGKILL")
            await asyncio.to_thread(server.start)
        await asyncio.gather(*tasks)
        await browser.close()
    return outcome


async def type_a_draft(server: Server, code: str) -> None:
    """Open a form and change a value, so a draft is saved on the server."""
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(f"{server.url}/f?code={code}")
        box = page.locator("#f-documents")
        await box.fill("77")
        await box.press("Enter")  # 下一步: the part is posted, the draft saved
        await page.get_by_text("第 2/").wait_for(timeout=60000)
        await settle(page)
        await browser.close()


def run(pages: int = 20, rounds: int = 3, crash: bool = False, folder: Path | None = None,
        crash_after: float = 20.0) -> dict:
    folder = folder or Path(tempfile.mkdtemp(prefix="survey-load-"))
    db = folder / "load.duckdb"
    codes, period = prepare(db, pages, rounds)
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0",
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    server = Server(env)
    server.start()
    draft_code = codes[0][-1]  # the spare code of page 0 keeps an open draft
    started = time.perf_counter()
    try:
        if crash:
            asyncio.run(type_a_draft(server, draft_code))
        outcome = asyncio.run(drive(server, [c[:-1] for c in codes],
                                    crash_after=crash_after if crash else None))
    finally:
        server.stop()
    elapsed = time.perf_counter() - started
    with Store(db, KEY) as store:
        found = dict(store.query(
            f"SELECT submission_id, count(*) FROM submission WHERE submission_id IN "
            f"({', '.join('?' * len(outcome.receipts))}) GROUP BY ALL", outcome.receipts)) \
            if outcome.receipts else {}
        this_period = store.query("SELECT count(*) FROM submissions WHERE period_key = ?",
                                  [period])[0][0]
        draft = store.draft(store.respondent(draft_code), "burden_monthly", period) if crash \
            else None
    missing = [r for r in outcome.receipts if r not in found]
    twice = [r for r, n in found.items() if n > 1]
    lat = sorted(outcome.latencies)
    return {"pages": pages, "rounds": rounds, "crash": crash, "seconds": elapsed,
            "acknowledged": len(outcome.receipts), "kept_this_period": this_period,
            "missing": len(missing), "duplicated": len(twice),
            "errors": len(outcome.errors), "error_kinds": sorted(set(outcome.errors))[:10],
            "submit_median_ms": statistics.median(lat) * 1000 if lat else None,
            "submit_p95_ms": lat[round(0.95 * (len(lat) - 1))] * 1000 if lat else None,
            "draft_kept": None if not crash else bool(draft and draft.answers.get("documents") == 77)}


def kill_snapshot_writer(folder: Path | None = None) -> dict:
    """Kill `python -m survey snapshot` halfway: the previous snapshot must still open, and
    the next run must replace it."""
    import duckdb

    from bench.generate import SCALES, build
    folder = folder or Path(tempfile.mkdtemp(prefix="survey-snap-"))
    db, target = folder / "snap.duckdb", folder / "analytics.duckdb"
    build(db, SCALES["S"], log=lambda *_: None)
    env = {**os.environ, "SURVEY_DB": str(db), "SURVEY_CODE_KEY": "bench-key",
           "SURVEY_SNAPSHOT": str(target)}
    snapshot = [sys.executable, "-m", "survey", "snapshot"]
    subprocess.run(snapshot, cwd=ROOT, env=env, check=True, capture_output=True)
    before = duckdb.connect(str(target), read_only=True).execute(
        "SELECT created_at FROM snapshot_info").fetchone()[0]
    proc = subprocess.Popen(snapshot, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    from survey.store.snapshot import partial_path
    tmp = partial_path(target)
    deadline = time.monotonic() + 30
    while not tmp.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_midway = tmp.exists()
    still = duckdb.connect(str(target), read_only=True)
    usable = still.execute("SELECT count(*) FROM submissions").fetchone()[0] > 0
    same = still.execute("SELECT created_at FROM snapshot_info").fetchone()[0] == before
    still.close()
    time.sleep(1.1)  # a new created_at second
    subprocess.run(snapshot, cwd=ROOT, env=env, check=True, capture_output=True)
    after = duckdb.connect(str(target), read_only=True).execute(
        "SELECT created_at FROM snapshot_info").fetchone()[0]
    return {"killed_midway": killed_midway, "previous_usable": usable and same,
            "replaced_next_run": after > before, "leftover_removed": not tmp.exists()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--crash", action="store_true")
    parser.add_argument("--snapshot-kill", action="store_true")
    args = parser.parse_args(argv)
    result = kill_snapshot_writer() if args.snapshot_kill else run(args.pages, args.rounds,
                                                                  args.crash)
    result["date"] = dt.date.today().isoformat()
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    name = "snapshot_kill" if args.snapshot_kill else ("crash" if args.crash else "load")
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    from bench.report import write
    write()


if __name__ == "__main__":
    main()
