"""Several app servers on one PostgreSQL, for real: two `streamlit run survey_app.py` processes
started at the same moment on one database (what scripts/multi_server.sh runs).

- They set the database up once (migrations, questionnaires, demo data, the first admin), and
  a browser moves between them freely: a cadre who submitted on server A sees the receipt on B,
  staff signed in on A are signed in on B, and a leader's page on B counts the submission made
  on A.
- Under a load of submissions through both servers' pages (Chromium) and through the store API
  (threads in another process), server A and the API process are killed with SIGKILL: every
  acknowledged submission is in the database exactly once, each cadre keeps one submission with
  consecutive revisions and the monthly rollup counts it once, and server B keeps serving.

In CI (CI=true) a missing Chromium or PostgreSQL fails these tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

from survey import periods
from survey.store import Point, Store
from survey.trends import month_label
from tests.browser_support import CHROMIUM_ARGS, ROOT, free_port, require_chromium, settle
from tests.conftest import KEY, STAFF_PASSWORD, VILLAGE, add_staff, complete_answers

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.timeout(180)

# Tap 提交 as soon as it shows (on the Streamlit fill page a tap within a second of the
# confirmation once landed the cadre back on section 1). The cadres' form is the light form (/f).
TAP_PAUSE = 0.0
RECEIPT = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
LOAD_POINT = Point("P-LOAD-1", "负载测试村", "village", "village", ("江北市", "清河县", "城关镇"))


class AppServer:
    """One `streamlit run survey_app.py` process on a free port."""

    def __init__(self, env: dict, log: Path):
        self.port, self.log = free_port(), log
        self._out = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "survey_app.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=ROOT, env={**os.environ, **env}, stdout=self._out, stderr=subprocess.STDOUT)
        self.killed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self) -> int | None:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    def wait_ready(self, deadline: float) -> None:
        while self.health() != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app on port {self.port} did not start:\n"
                                   + self.output()[-3000:])
            time.sleep(0.2)

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.killed = True
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


@pytest.fixture
def servers(pg_url, tmp_path):
    """Two app servers on one new PostgreSQL database, both started at the same moment."""
    chromium = require_chromium()
    env = {"SURVEY_DATABASE_URL": pg_url, "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "1",
           "SURVEY_DB": str(tmp_path / "side" / "survey.duckdb"),  # the snapshot's folder
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    started = time.monotonic()
    pair = [AppServer(env, tmp_path / f"server-{name}.log") for name in "ab"]
    try:
        for server in pair:
            server.wait_ready(started + 90)
        print(f"two servers ready in {time.monotonic() - started:.1f} s")
        yield pair[0], pair[1], chromium
    finally:
        for server in pair:
            server.stop()


def sql(url: str, statement: str, params=()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def cadres_with_last_month(url: str, point: Point, n: int) -> tuple[list[str], str]:
    """n new codes at a point, each with last month's report on file (so the form opens
    pre-filled and an unchanged month is two taps). Returns the codes and the current period."""
    store = Store(url, KEY)
    try:
        qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        period = store.open_periods(qn)[0]
        last = periods.previous("month", period)
        if store.point(point.point_id) is None:
            store.add_points([point])
        codes = store.issue_codes(point.point_id, n)
        for i, code in enumerate(codes):
            store.submit(store.respondent(code), qn, last, complete_answers(), f"last-{code}-{i}")
        return codes, period
    finally:
        store.close()


def signed_in(page) -> bool:
    return page.locator("input[type=password]").count() == 0 and \
        "退出登录" in page.locator("[data-testid=stSidebar]").inner_text()


def received_on_responses_page(page, period: str) -> int:
    """The response monitor's "已填 N 人" for a period, chosen in its period box."""
    label = month_label(periods.bounds("month", period)[0], "zh")
    box = page.locator("[data-testid=stSelectbox]").filter(has=page.get_by_text("填报期",
                                                                                exact=True))
    box.wait_for(timeout=30000)
    if box.locator("input").input_value() != label:
        box.click()
        page.get_by_role("option", name=label, exact=True).click()
        settle(page)
    summary = page.get_by_text(re.compile(r"应填 \d+ 人,已填 \d+ 人"))
    summary.wait_for(timeout=30000)
    return int(re.search(r"已填 (\d+) 人", summary.inner_text())[1])


def test_two_servers_set_up_once_and_a_browser_moves_between_them(servers, pg_url):
    a, b, chromium = servers
    # started together, they migrated, published and loaded the demo once; one admin, whose
    # one-time password only the first to start printed
    printed = [s.output().count("one-time password") for s in (a, b)]
    assert sorted(printed) == [0, 1], printed
    assert sql(pg_url, "SELECT count(*) FROM audit_log WHERE action = 'load_demo'") == [(1,)]
    assert sql(pg_url, "SELECT username FROM account") == [("admin",)]
    versions = [v for (v,) in sql(pg_url, "SELECT version FROM schema_migrations")]
    assert versions and len(versions) == len(set(versions))
    assert sql(pg_url, "SELECT count(*) FROM point WHERE is_demo")[0][0] > 0

    store = Store(pg_url, KEY)
    add_staff(store, "boss", "admin")
    store.close()
    (code,), period = cadres_with_last_month(pg_url, VILLAGE, 1)

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        timings = {}

        # staff sign in on A ...
        staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        on_a = staff.new_page()
        started = time.perf_counter()
        on_a.goto(f"{a.url}/responses")
        on_a.wait_for_selector("input[type=password]", timeout=30000)
        on_a.get_by_label("用户名").fill("boss")
        on_a.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
        on_a.get_by_role("button", name="登录").click()
        settle(on_a)
        on_a.get_by_text("退出登录").wait_for(timeout=30000)
        for _ in range(50):  # the cookie arrives through the page's fetch of /session/claim
            if any(c["name"] == "survey_staff" for c in staff.cookies()):
                break
            time.sleep(0.1)
        timings["staff sign-in on A"] = time.perf_counter() - started
        # ... and B shows the signed-in pages (cookies are per host, not per port: what a
        # browser does behind one address with a load balancer)
        on_b = staff.new_page()
        started = time.perf_counter()
        on_b.goto(f"{b.url}/responses")
        on_b.get_by_text("退出登录").wait_for(timeout=30000)
        settle(on_b)
        assert signed_in(on_b), on_b.locator("[data-testid=stMain]").inner_text()[:500]
        before = received_on_responses_page(on_b, period)
        timings["leader page on B"] = time.perf_counter() - started

        # a cadre's QR link on A: an unchanged month, two taps
        cadre = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
        form = cadre.new_page()
        started = time.perf_counter()
        form.goto(f"{a.url}/?code={code}")
        form.get_by_role("button", name="与上期相同,一键确认").click(timeout=60000)
        settle(form)
        shown = form.locator("main").inner_text()
        assert "Database error" not in shown and "无法保存" not in shown, shown  # e.g. the draft
        time.sleep(TAP_PAUSE)
        form.get_by_role("button", name="提交", exact=True).click(timeout=30000)
        form.get_by_text("已提交,谢谢!").wait_for(timeout=30000)
        receipt = RECEIPT.search(form.get_by_text(re.compile("回执编号")).inner_text())[0]
        timings["QR link to receipt on A"] = time.perf_counter() - started
        assert "survey_cadre" in {c["name"] for c in cadre.cookies()}

        # the same browser opens B: the cadre session is valid there, and shows the receipt
        again = cadre.new_page()
        started = time.perf_counter()
        again.goto(f"{b.url}/")
        again.get_by_text("已提交,谢谢!").wait_for(timeout=30000)
        assert receipt in again.get_by_text(re.compile("回执编号")).inner_text()
        assert again.get_by_role("button", name="与上期相同,一键确认").count() == 0
        timings["receipt shown on B"] = time.perf_counter() - started

        # the leader's page on B counts the submission made on A
        on_b.reload()
        on_b.get_by_text("退出登录").wait_for(timeout=30000)
        settle(on_b)
        assert received_on_responses_page(on_b, period) == before + 1
        browser.close()

    assert sql(pg_url, "SELECT count(*) FROM submission WHERE submission_id = %s",
               [receipt]) == [(1,)]
    for what, seconds in timings.items():
        print(f"{what}: {seconds:.1f} s")
    for server in (a, b):
        assert "Traceback" not in server.output(), server.output()[-3000:]


# -- load, and kill -9 of one server ----------------------------------------------------------

API_WRITER = """
import os, sys, threading, time
from survey.store import Store
url, key, period, codes = sys.argv[1], sys.argv[2].encode(), sys.argv[3], sys.argv[4].split(",")
store = Store(url, key)  # one app process's store, shared by its threads
qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
lock = threading.Lock()
def write(t):
    for n in range(100000):
        code = codes[(t + n) % len(codes)]
        token = f"api-{t}-{n}"
        answers = {"documents": 40, "documents_action": 12, "meetings": n % 50,
                   "meeting_hours": 6.5, "forms": 14, "form_hours": 7.0, "duplicate_forms": 3,
                   "inspections": 2, "inspection_hours": 8.0, "trace_demands": True,
                   "trace_hours": 2.5, "apps": 6, "chat_groups": 15, "chat_pressure": True,
                   "burden_change": "2", "satisfaction": "4"}
        first = store.submit(store.respondent(code), qn, period, answers, token)
        again = store.submit(store.respondent(code), qn, period, answers, token)  # a double tap
        line = f"ACK {token} {first.submission_id} {again.submission_id}\\n".encode()
        with lock:
            os.write(1, line)  # one write of < PIPE_BUF bytes: kill -9 cannot cut a line in two
        time.sleep(0.02)  # leave the two cores some room for the servers and the browsers
threads = [threading.Thread(target=write, args=(t,), daemon=True) for t in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


IDLE = ("() => !document.querySelector('[data-testid=stStatusWidget]') && "
        "document.querySelector('[data-testid=stApp]')?.getAttribute("
        "'data-test-script-state') !== 'running' && !document.querySelector('[data-stale=true]')")


class Load:
    """Browser pages submitting through server A or B; a page whose server died carries on
    through the other one (the cadre session is in the database: the code link opens it again,
    and the form shows either the receipt or the answers still to submit)."""

    def __init__(self, a: AppServer, b: AppServer):
        self.a, self.b = a, b
        self.receipts: dict[str, str] = {}  # submission id -> code, acknowledged in a page
        self.moved: list[str] = []
        self.latencies: list[float] = []

    def server_for(self, preferred: AppServer) -> AppServer:
        return self.b if preferred.killed else preferred

    async def until(self, server: AppServer, wait, timeout: float = 60) -> None:
        """wait(ms) in short steps, giving up at once when the server was killed."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await wait(500)
                return
            except Exception:  # noqa: BLE001 - Playwright's timeout: look again
                if server.killed:
                    raise ConnectionError(f"server {server.port} was killed") from None
                if time.monotonic() > deadline:
                    raise

    async def visible(self, locator, server: AppServer) -> None:
        await self.until(server, lambda ms: locator.first.wait_for(timeout=ms))

    async def settled(self, page, server: AppServer) -> None:
        """Streamlit has finished the run a load or a tap started (tests.browser_support.settle,
        for the async API)."""
        await asyncio.sleep(0.25)
        await self.until(server, lambda ms: page.wait_for_function(IDLE, timeout=ms))

    async def submit(self, page, server: AppServer, code: str) -> str:
        await page.goto(f"{server.url}/?code={code}")
        done = page.get_by_text("已提交,谢谢!")
        same = page.get_by_role("button", name="与上期相同,一键确认")
        send = page.get_by_role("button", name="提交", exact=True)
        await self.visible(done.or_(same).or_(send), server)
        await self.settled(page, server)
        if not await done.is_visible():
            if await same.is_visible():
                await same.click()
                await self.visible(send, server)
                await self.settled(page, server)
                await asyncio.sleep(TAP_PAUSE)
            started = time.perf_counter()
            await send.click()
            await self.visible(done, server)
            self.latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.3)  # the receipt's text follows its heading in the same run
        text = await page.get_by_text(re.compile("回执编号")).first.inner_text()
        return RECEIPT.search(text)[0]

    async def cadre(self, browser, preferred: AppServer, codes: list[str]) -> None:
        context = await browser.new_context(viewport={"width": 375, "height": 800},
                                            locale="zh-CN")
        page = await context.new_page()
        for code in codes:
            for attempt in range(3):
                server = self.server_for(preferred)
                try:
                    self.receipts[await self.submit(page, server, code)] = code
                    break
                except Exception as exc:  # noqa: BLE001 - the server died under the page
                    if not server.killed or attempt == 2:
                        shown = await page.locator("body").inner_text()
                        raise AssertionError(f"{code} on {server.url} (attempt {attempt + 1}, "
                                             f"{self.moved}): {shown[-1500:]}") from exc
                    self.moved.append(f"{code}: {type(exc).__name__}")
                    page = await context.new_page()  # the dead server's page stays behind
        await context.close()


def test_acknowledged_submissions_survive_kill_9_of_one_server(servers, pg_url):
    a, b, chromium = servers
    page_codes, period = cadres_with_last_month(pg_url, VILLAGE, 12)
    api_codes, _ = cadres_with_last_month(pg_url, LOAD_POINT, 6)
    pages = [page_codes[i::6] for i in range(6)]  # 6 phones, 2 cadres each
    writer = subprocess.Popen([sys.executable, "-c", API_WRITER, pg_url, KEY.decode(), period,
                               ",".join(api_codes)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    load = Load(a, b)

    async def drive() -> float:
        from playwright.async_api import async_playwright
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            tasks = [asyncio.create_task(load.cadre(browser, a if i % 2 else b, codes))
                     for i, codes in enumerate(pages)]
            while len(load.receipts) < 3 and not all(t.done() for t in tasks):
                await asyncio.sleep(0.1)
            # mid-load: three receipts seen, the rest in flight
            a.kill()
            writer.send_signal(signal.SIGKILL)
            killed_at = time.perf_counter()
            await asyncio.gather(*tasks)
            await browser.close()
            return killed_at

    started = time.perf_counter()
    killed_at = asyncio.run(drive())
    finished = time.perf_counter()
    out, err = writer.communicate()
    assert writer.returncode == -signal.SIGKILL, err[-3000:]
    acked = [line.split() for line in out.splitlines() if line.startswith("ACK ")]
    assert acked, err[-3000:]

    # the surviving server keeps serving
    assert b.health() == 200 and a.health() is None

    # every acknowledged submission is in the database exactly once
    assert all(first == again for _, _, first, again in acked)  # a double tap: one receipt
    tokens = {token: first for _, token, first, _ in acked}
    stored = dict(sql(pg_url, "SELECT client_token, submission_id FROM submission "
                              "WHERE client_token = ANY(%s)", [list(tokens)]))
    assert stored == tokens
    assert sql(pg_url, "SELECT client_token FROM submission GROUP BY client_token "
                       "HAVING count(*) > 1") == []
    found = dict(sql(pg_url, "SELECT submission_id, count(*) FROM submission "
                             "WHERE submission_id = ANY(%s) GROUP BY submission_id",
                     [list(load.receipts)]))
    assert found == {receipt: 1 for receipt in load.receipts}
    assert sorted(load.receipts.values()) == sorted(page_codes)  # every phone's cadre got one

    # each cadre keeps one submission, its last revision, revisions 1..n without gaps; the
    # kept slot agrees, and the monthly rollup counts each kept submission once
    per_cadre = sql(pg_url, """
        SELECT s.respondent_key, array_agg(s.revision ORDER BY s.revision),
               max(s.revision), min(k.submission_id), count(DISTINCT k.submission_id)
        FROM submission s JOIN kept k USING (respondent_key, point_id, questionnaire_id, period_key)
        WHERE s.period_key = %s AND s.point_id = ANY(%s)
        GROUP BY s.respondent_key""", [period, [VILLAGE.point_id, LOAD_POINT.point_id]])
    assert len(per_cadre) == len(page_codes) + len(api_codes)
    for key, revisions, last, kept_id, kept_count in per_cadre:
        assert revisions == list(range(1, last + 1)) and kept_count == 1, (key, revisions)
        assert sql(pg_url, "SELECT revision FROM submission WHERE submission_id = %s",
                   [kept_id]) == [(last,)]
    slots = sql(pg_url, "SELECT count(*), count(DISTINCT ks.submission_id) FROM kept k "
                        "JOIN kept_slot ks USING (submission_id) WHERE k.period_key = %s "
                        "AND k.point_id = ANY(%s)",
                [period, [VILLAGE.point_id, LOAD_POINT.point_id]])
    assert slots == [(len(per_cadre), len(per_cadre))]
    start = periods.bounds("month", period)[0]
    rollup = dict(sql(pg_url, "SELECT point_id, n FROM point_month WHERE indicator = 'meetings' "
                              "AND period_start = %s AND point_id = ANY(%s)",
                      [start, [VILLAGE.point_id, LOAD_POINT.point_id]]))
    assert rollup == {VILLAGE.point_id: len(page_codes), LOAD_POINT.point_id: len(api_codes)}

    # after the kill, B still answers a page
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN")
        page.goto(f"{b.url}/?code={page_codes[0]}")
        page.get_by_text("已提交,谢谢!").wait_for(timeout=30000)
        browser.close()

    revisions = sum(len(r[1]) for r in per_cadre)
    print(f"load: {len(load.receipts)} submissions through pages ({len(load.moved)} moved from "
          f"the killed server to the other: {load.moved}), {len(acked)} through the store API "
          f"(each tapped twice), {revisions} rows kept consistent; killed after "
          f"{killed_at - started:.1f} s, load done in {finished - started:.1f} s; page submit "
          f"median {sorted(load.latencies)[len(load.latencies) // 2]:.2f} s")
