"""Page render times on the demo data: `python -m bench.pages` (writes docs/performance.md).

Each page is run through Streamlit's AppTest against a fresh demo database: the first run
(cold caches) and then reruns (what a leader sees on every click). Medians and p95 over the
reruns are reported, with the machine and date. The respondents' form is no Streamlit page
since issue 27 (ui/light_form.py): `python -m bench.form` and `python -m bench.form_load`
measure it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["app_pages/trends.py", "app_pages/warnings.py",
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
    start(resolve(env)).store.close()
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
    return results


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


def report(results) -> str:
    lines = ["## Page render times on the demo data (`python -m bench.pages`)", "",
             f"Measured {dt.date.today()} on {machine()}. Demo data: 60 points, "
             "7 respondents each, 24 months (about 9,300 submissions). AppTest runs the page "
             f"script in-process: first run with cold caches, then {RERUNS} reruns.", "",
             "| page | first run (ms) | rerun median (ms) | rerun p95 (ms) |", "|---|---|---|---|"]
    lines += [f"| {page} | {first * 1000:.0f} | "
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
