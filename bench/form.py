"""The respondent's first visit of the month on the light form (/f): `python -m bench.form
[--reps N]` (writes docs/performance.md and bench/results/form.json). The Streamlit fill page
it was compared with until issue 27's cutover keeps its figures in docs/performance.md, as
measured then ("Before the cutover").

Real app (`streamlit run`, bench.pages._serve) on loopback, real Chromium at 375 x 800, zh-CN,
a new browser context per visit (empty cache; CDP's Network.setCacheDisabled too), each visit a
respondent with last month submitted, opening the QR-style link. The network is emulated with
CDP's Network.emulateNetworkConditions for the whole visit:
- mobile: Lighthouse's mobile profile, 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip;
- slow 3G: 0.4 Mbit/s down and up, 400 ms round trip.

Measured per visit: requests and bytes on the wire until the form can be tapped (HTTP bodies
and headers as received, encodedDataLength), the time from navigation to the one-step button 与上期相同,一键确认 being visible and
enabled ("tappable"), then the unchanged month: taps and seconds from tapping that button to the
receipt (与上期相同 -> 提交 -> 已提交). Medians over the repetitions, after one warm-up visit per
form (the first request of a fresh server compiles templates and page scripts).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import _serve, machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "form.json"
PROFILES = {  # CDP Network.emulateNetworkConditions: bytes per second, ms
    "mobile": {"latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8},
    "slow 3G": {"latency": 400, "downloadThroughput": 0.4e6 / 8, "uploadThroughput": 0.4e6 / 8},
}
FORMS = {"light /f": "/f"}
KEEP, SUBMIT, DONE = "与上期相同,一键确认", "提交", "已提交,谢谢!"
GOALS = "<= 100 kB and <= 2 s to tappable on mobile, <= 6 s on slow 3G; unchanged month in " \
    "2 taps and <= 3 s to the receipt on mobile"


def respondents(db: Path, count: int) -> list[str]:
    """`count` codes at one village, each with last month submitted (the unchanged month)."""
    from survey import periods
    from survey.bootstrap import publish_dir
    from survey.store import Store
    from tests.conftest import KEY, VILLAGE, complete_answers
    with Store(db, KEY) as store:
        publish_dir(store, ROOT / "questionnaires")
        store.add_points([VILLAGE])
        qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        previous = periods.previous("month", store.open_periods(qn)[0])
        codes = store.issue_codes(VILLAGE.point_id, count)
        for i, code in enumerate(codes):
            store.submit(store.respondent(code), qn, previous, complete_answers(), f"b-{i}")
    return codes


class Wire:
    """Requests and bytes a page receives (CDP Network events)."""

    def __init__(self, cdp):
        self.requests, self.bytes = 0, 0
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketFrameReceived", self._frame)

    def _request(self, event) -> None:
        self.requests += 1

    def _finished(self, event) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))

    def _frame(self, event) -> None:
        frame = event["response"]
        payload = frame.get("payloadData", "")
        self.bytes += len(base64.b64decode(payload)) if frame.get("opcode") == 2 \
            else len(payload.encode())


def visit(browser, url: str, path: str, code: str, profile: dict | None) -> dict:
    """One first visit: requests, bytes and seconds to tappable; the unchanged month's taps
    and seconds from the first tap to the receipt."""
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if profile:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
    wire = Wire(cdp)
    try:
        started = time.perf_counter()
        page.goto(f"{url}{path}?code={code}", wait_until="commit", timeout=180000)
        keep = page.get_by_role("button", name=KEEP)
        keep.wait_for(timeout=180000)
        page.wait_for_function("b => !b.disabled", arg=keep.element_handle(), timeout=60000)
        tappable = time.perf_counter() - started
        requests, received = wire.requests, wire.bytes
        started = time.perf_counter()
        keep.click()
        submit = page.get_by_role("button", name=SUBMIT, exact=True)
        submit.wait_for(timeout=120000)
        submit.click()
        page.get_by_text(DONE).wait_for(timeout=120000)
        to_receipt = time.perf_counter() - started
    finally:
        context.close()
    return {"requests": requests, "bytes": received, "tappable_s": tappable, "taps": 2,
            "to_receipt_s": to_receipt}


def summary(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]} | {
        "tappable_all": [round(r["tappable_s"], 2) for r in runs],
        "receipt_all": [round(r["to_receipt_s"], 2) for r in runs], "runs": len(runs)}


def measure(reps: int, log=print) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS
    from tests.conftest import KEY
    folder = Path(tempfile.mkdtemp())
    db = folder / "form.duckdb"
    visits = len(FORMS) * (len(PROFILES) * reps + 1)
    codes = iter(respondents(db, visits))
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0",
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    result = {"date": dt.date.today().isoformat(), "machine": machine(),
              "load_before": os.getloadavg()[0], "reps": reps, "forms": {}}
    with _serve(ROOT, env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in FORMS.items():
            visit(browser, url, path, next(codes), None)  # warm-up: not counted
            result["forms"][name] = {}
            for profile, conditions in PROFILES.items():
                runs = [visit(browser, url, path, next(codes), conditions) for _ in range(reps)]
                result["forms"][name][profile] = summary(runs)
                log(f"{name}, {profile}: {result['forms'][name][profile]}")
        browser.close()
    result["load_after"] = os.getloadavg()[0]
    return result


def report(result: dict) -> str:
    lines = ["## The respondent form's first visit (`python -m bench.form`)", "",
             f"Measured {result['date']} on {result['machine']} (load average "
             f"{result['load_before']:.1f} before, {result['load_after']:.1f} after: the machine "
             "is shared). Real app (`streamlit run`) on loopback, Chromium at 375 x 800, zh-CN, "
             "a new browser context per visit with the cache disabled, a respondent with last "
             "month submitted opening the QR-style link; the network emulated for the whole "
             "visit with CDP's `Network.emulateNetworkConditions`: mobile = Lighthouse's mobile "
             "profile (1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip), slow 3G = 0.4 Mbit/s "
             "both ways, 400 ms. Bytes = what arrives until the form is tappable (HTTP with "
             "headers, CDP encodedDataLength); tappable = from "
             "navigation until 与上期相同,一键确认 is visible and enabled; then the unchanged "
             "month, from tapping it to 已提交 (与上期相同 -> 提交). One warm-up visit per form "
             "first, not counted.", "",
             f"Goals (issue 27): {GOALS}. Medians of {result['reps']} visits; every visit's "
             "time in brackets. The Streamlit fill page's figures (gone with issue 27's cutover) "
             "are in \"Before the cutover\" below, as measured then. The light form's "
             "two requests are the QR link's 303 (the code leaves the address) and the page, "
             "~5 kB of HTML with its CSS inline, gzip; each tap is a post, a 303 and the next "
             "page.", "",
             "| form | network | requests | bytes on the wire | tappable (s) | unchanged month: "
             "taps, first tap to receipt (s) |", "|---|---|---|---|---|---|"]
    for name, profiles in result["forms"].items():
        for profile, r in profiles.items():
            size = f"{r['bytes'] / 1000:.1f} kB" if r["bytes"] < 1e6 else \
                f"{r['bytes'] / 1e6:.2f} MB"
            lines.append(f"| {name} | {profile} | {r['requests']:.0f} | {size} | "
                         f"**{r['tappable_s']:.2f}** ({', '.join(map(str, r['tappable_all']))}) | "
                         f"{r['taps']}, **{r['to_receipt_s']:.2f}** "
                         f"({', '.join(map(str, r['receipt_all']))}) |")
    return "\n".join(lines) + "\n"


def write(section: str) -> None:
    target = ROOT / "docs" / "performance.md"
    text = target.read_text(encoding="utf-8")
    marker = "## The respondent form's first visit (`python -m bench.form`)"
    old = "## The light form's first visit (issue 27, first slice; not yet `bench.form`)"
    for heading in (marker, old):
        if heading in text:
            head, _, rest = text.partition(heading)
            tail = rest.split("\n## ", 1)
            text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
            break
    else:
        text = text.rstrip("\n") + "\n\n" + section
    target.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="visits per form and network")
    args = parser.parse_args()
    result = measure(args.reps)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    section = report(result)
    print(section)
    write(section)


if __name__ == "__main__":
    main()
