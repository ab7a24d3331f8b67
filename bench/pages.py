"""Page render times on the demo data: `python -m bench.pages` (writes docs/performance.md).

Each page is run through Streamlit's AppTest against a fresh demo database: the first run
(cold caches) and then reruns (what a leader sees on every click). Medians and p95 over the
reruns are reported, with the machine and date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["app_pages/fill.py", "app_pages/trends.py", "app_pages/warnings.py",
         "app_pages/responses.py", "app_pages/briefing.py", "app_pages/questionnaires.py"]
RERUNS = 15


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                     if line.startswith("model name"))
        cpu = model
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def measure() -> list[tuple[str, float, float, float]]:
    from streamlit.testing.v1 import AppTest

    from survey.bootstrap import start
    from survey.config import resolve
    folder = tempfile.mkdtemp()
    env = {"SURVEY_DB": f"{folder}/bench.duckdb", "SURVEY_CODE_KEY": "bench-key"}
    os.environ.update(env)
    store = start(resolve(env)).store
    code = store.demo_codes(1)[0][0]
    store.close()
    results = []
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=120)
        at.run()
        started = time.perf_counter()
        at.switch_page(page).run()
        first = time.perf_counter() - started
        assert not at.exception, (page, at.exception)
        times = []
        for _ in range(RERUNS):
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        results.append((page, first, statistics.median(times), p95))
    results.append(("app_pages/fill.py: a cadre's edit (AppTest, whole script)",)
                   + fill_interactions(AppTest, code))
    if Path("/usr/bin/chromium").exists():
        # a database of its own: this process still holds the first one (one process per file)
        browser_env = {**env, "SURVEY_DB": f"{folder}/browser.duckdb"}
        store = start(resolve(browser_env)).store
        browser_code = store.demo_codes(1)[0][0]
        store.close()
        results.append(("app_pages/fill.py: a cadre's edit (Chromium 375 px, round trip)", None)
                       + browser_interactions(ROOT, browser_env, browser_code))
    return results


def _stats(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def fill_interactions(app_test, code: str) -> tuple[float, float, float]:
    """A signed-in cadre with last month carried forward changes a number, again and again:
    the server work of one tap or edit (the rerun, the draft saved on the server)."""
    at = app_test.from_file(str(ROOT / "survey_app.py"), default_timeout=120)
    at.run()
    at.text_input[0].input(code)
    started = time.perf_counter()
    at.button[0].click().run()  # the code screen's button: opens the form
    first = time.perf_counter() - started
    assert not at.exception, at.exception
    times = []
    for i in range(RERUNS * 2):
        box = next(n for n in at.number_input if str(n.key).endswith(":meetings"))
        started = time.perf_counter()
        box.set_value(30 + i % 7).run()
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    median, p95 = _stats(times)
    return first, median, p95


@contextlib.contextmanager
def _serve(root: Path, env: dict):
    """`streamlit run` of the app in `root` (this tree, or an older one for a before figure)."""
    import subprocess
    import urllib.request

    from tests.browser_support import free_port
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "survey_app.py"), "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=root, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# Streamlit marks its app element with the script's run state; an observer records each change,
# so a rerun too quick to be seen by polling is still timed.
_OBSERVE = """() => { window.__runs = []; const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => window.__runs.push([performance.now(),
      app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""


def browser_interactions(root: Path, env: dict, code: str, count: int = RERUNS * 2
                         ) -> tuple[float, float]:
    """Round trip of one edit in real Chromium at 375 x 800 (`streamlit run` of the app in
    `root`): from the keystroke that commits a number to the end of the rerun it caused."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, settle
    times = []
    with _serve(root, env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(f"{url}/?code={code}")
        box = page.get_by_label(re.compile("^本月参加上级召开或要求参加的会议"))
        box.wait_for(timeout=60000)
        settle(page)
        time.sleep(2)  # the page's first runs (sign-in, draft restore) are over
        settle(page)
        page.evaluate(_OBSERVE)
        first = int(float(box.input_value() or 0))
        for i in range(count):
            start = page.evaluate("() => performance.now()")
            box.fill(str(first + 1 + i % 2))  # always a change, never a soft check
            box.press("Tab")
            try:
                page.wait_for_function(  # a rerun started after the edit and has ended
                    "s => window.__runs.some(r => r[0] > s && r[1] === 'running') && "
                    "window.__runs[window.__runs.length - 1][1] === 'notRunning'", arg=start,
                    timeout=10000)
            except PlaywrightTimeout:  # the browser dropped the edit (rare): not a sample
                settle(page)
                continue
            end = page.evaluate("() => window.__runs[window.__runs.length - 1][0]")
            time.sleep(0.3)  # let the page finish drawing before the next edit (not timed)
            times.append((end - start) / 1000)
        browser.close()
    return _stats(times)


def report(results) -> str:
    lines = ["## Page render times on the demo data (`python -m bench.pages`)", "",
             f"Measured {dt.date.today()} on {machine()}. Demo data: 60 points, "
             "7 respondents each, 24 months (about 9,300 submissions). AppTest runs the page "
             f"script in-process: first run with cold caches, then {RERUNS} reruns. A cadre's "
             "edit: signed in with a demo code, last month carried forward, the meetings count "
             f"changed {RERUNS * 2} times; in AppTest the whole script reruns (navigation, "
             "session checks, the page), in Chromium only the form (a fragment), timed from the "
             "edit to the end of its rerun.", "",
             "| page | first run (ms) | rerun median (ms) | rerun p95 (ms) |", "|---|---|---|---|"]
    lines += [f"| {page} | {'–' if first is None else f'{first * 1000:.0f}'} | "
              f"{median * 1000:.0f} | {p95 * 1000:.0f} |"
              for page, first, median, p95 in results]
    return "\n".join(lines) + "\n"


def main() -> None:
    section = report(measure())
    print(section)
    target = ROOT / "docs" / "performance.md"
    text = target.read_text(encoding="utf-8") if target.exists() else "# Performance\n\n"
    marker = "## Page render times on the demo data"
    if marker in text:
        head, _, rest = text.partition(marker)
        tail = rest.split("\n## ", 1)
        text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
