"""The chaos robot on the real fill page: Chromium at 375 px, the app under `streamlit run` on
a throwaway PostgreSQL that is stopped and started under the cadre's fingers, the network
dropped, the page reloaded; then the database must hold every value typed (tests/chaos_robot.py).

CI runs two seeded runs (seeds 1-2, CHAOS_STEPS steps each, default 30: 35-50 s a run on a
busy 2-core machine) and the fixed scenarios below; a soak:
    CHAOS_RUNS=50 python -m pytest tests/test_chaos_form.py -q -k faults
A failure names its seed and the robot's steps; CHAOS_SEEDS=17 replays that script (the
timing is real, so the page may answer differently); CHAOS_TRACE=file logs the steps with
wall-clock times, to read beside the server's log.

Failing first: this file run on the app as it was when the robot came (commit 5c7d116, before
any fix of issue 19) fails the CI seeds on the fault found the round before, carried answers
turned null in the draft (seed 1: apps, chat_groups, chat_pressure; seed 2: trace_demands,
trace_hours), and every fixed scenario (next-and-at-once-back: form_hours and
duplicate_forms null at the first try; the notice out of view; the English skip link)."""

from __future__ import annotations

import os
import random
import time

import pytest

from survey import periods
from survey.questionnaire.model import NUMERIC_TYPES
from tests import chaos_robot as robot
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app
from tests.conftest import KEY, ROOT, VILLAGE, complete_answers
from tests.net_proxy import CuttableProxy
from tests.pg_support import Cluster

playwright = pytest.importorskip("playwright.sync_api")
from tests.chaos_streamlit import StreamlitDriver  # noqa: E402 - needs playwright

WIDTH, HEIGHT = 375, 800


def seeds() -> list[int]:
    if os.environ.get("CHAOS_SEEDS"):
        return [int(s) for s in os.environ["CHAOS_SEEDS"].split(",")]
    return list(range(1, int(os.environ.get("CHAOS_RUNS", "2")) + 1))


STEPS = int(os.environ.get("CHAOS_STEPS", "30"))


class Outages(robot.Faults):
    """The database: the throwaway cluster stopped and started. The network: the proxy between
    the browser and the app cuts every connection, and Chromium goes offline."""

    def __init__(self, cluster: Cluster, proxy: CuttableProxy, context):
        self.cluster, self.proxy, self.context = cluster, proxy, context

    def database(self, up: bool) -> None:
        (self.cluster.resume if up else self.cluster.pause)()

    def network(self, up: bool) -> None:
        self.context.set_offline(not up)
        (self.proxy.up if up else self.proxy.down)()

    def fade(self) -> None:
        self.proxy.hold()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One PostgreSQL, one app server and one browser for all runs; a new cadre per run."""
    from survey.bootstrap import publish_dir
    from survey.store import Store
    chromium = require_chromium()
    cluster = Cluster()
    tmp = tmp_path_factory.mktemp("chaos")
    url = cluster.new_database()
    store = Store(url, KEY)
    assert not publish_dir(store, ROOT / "questionnaires")[1]
    store.add_points([VILLAGE])
    env = {"SURVEY_DATABASE_URL": url, "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_DB": str(tmp / "side.duckdb"), "SURVEY_DEMO": "0",
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    try:
        with running_app(env) as app, playwright.sync_playwright() as p:
            proxy = CuttableProxy(int(app.rsplit(":", 1)[1]))
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            yield {"cluster": cluster, "store": store, "proxy": proxy, "browser": browser,
                   "log": tmp / "side.server.log", "shots": tmp}
            browser.close()
            proxy.close()
    finally:
        store.close()
        cluster.stop()


def last_period_answers(seed: int) -> dict:
    """A plausible last month, different per run."""
    r = random.Random(seed)
    return complete_answers(documents=r.randint(20, 60), meetings=r.randint(3, 20),
                            forms=r.randint(8, 30), form_hours=r.choice([4.0, 6.5, 9.0]),
                            duplicate_forms=r.randint(1, 6), apps=r.randint(2, 9))


class Cadre:
    """A new cadre with last month submitted, on a phone that has opened the QR link."""

    def __init__(self, world, seed: int, lang: str = "zh", driver=StreamlitDriver):
        store = world["store"]
        self.qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        self.period = store.open_periods(self.qn)[0]
        self.last = periods.previous("month", self.period)
        code = store.issue_codes(VILLAGE.point_id, 1)[0]
        self.respondent = store.respondent(code)
        self.before = last_period_answers(seed)
        # the token is the cadre's own: the same seed in another test is another cadre
        store.submit(self.respondent, self.qn, self.last, self.before, f"last-{code}")
        self.context = world["browser"].new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                                    locale="zh-CN" if lang == "zh" else "en-GB")
        self.driver = driver(self.context.new_page(), self.qn, lang)
        self.driver.open(world["proxy"].url, code)

    def draft(self, store) -> dict:
        from survey.store import forms
        saved = forms.draft(store, self.respondent, self.qn.id, self.period)
        return saved[0].answers if saved else {}


@pytest.fixture
def cadres(world):
    """Cadres for one test; afterwards the network and the database are back for the next."""
    made = []
    yield lambda seed, lang="zh", **kw: made.append(Cadre(world, seed, lang, **kw)) or made[-1]
    world["proxy"].up()
    for cadre in made:
        cadre.context.close()
    if not (world["cluster"].data / "postmaster.pid").exists():
        world["cluster"].resume()


@pytest.mark.parametrize("seed", seeds())
def test_nothing_typed_is_lost_under_faults(world, cadres, seed):
    run_robot(world, cadres(seed), seed, STEPS)


def run_robot(world, cadre, seed: int, steps: int) -> None:
    """The robot on one cadre's page; fails with the seed, the problems and its steps."""
    store = world["store"]
    robot_cadre = robot.Robot(cadre.driver, Outages(world["cluster"], world["proxy"],
                                                    cadre.context),
                              cadre.qn, cadre.period, cadre.last, cadre.before, seed)
    robot_cadre.shots = world["shots"]

    def problems_stored() -> list[str]:
        return robot.check_store(store, cadre.respondent, cadre.qn, cadre.period,
                                 robot_cadre.carried, robot_cadre.ledger)

    def answers_stored() -> dict:
        found = robot.stored_answers(store, cadre.respondent, cadre.qn, cadre.period)
        return found[1] if found else {}
    robot_cadre.checkpoint_store, robot_cadre.stored = problems_stored, answers_stored
    ledger = robot_cadre.run(steps)
    problems = ledger.problems + problems_stored()
    if problems:
        cadre.driver.page.screenshot(path=str(world["shots"] / f"seed{seed}-end.png"))
    assert not problems, (f"seed {seed}: " + "; ".join(problems)
                          + "\nsteps:\n" + ledger.tail())


def test_next_and_at_once_back_keeps_every_answer(world, cadres):
    """Fault 1 as the robot found it (issue 19): next and at once back, then one number typed;
    the back tap re-sent the previous section's fields, the section came back drawn empty in
    the browser, and the typed number took the empty fields with it (form_hours and
    duplicate_forms null in the draft over last period's answers). Five tries, no faults."""
    cadre, store = cadres(103), world["store"]
    driver, carried = cadre.driver, cadre.before
    assert driver.tap(robot.NEXT)
    until(driver, lambda screen: "forms" in screen.fields)
    driver.settle()
    for attempt in range(5):
        assert driver.tap(robot.NEXT)
        driver.tap(robot.BACK)  # at once: the page is still answering the first tap
        while driver.settle(10) and "forms" not in (fields := driver.screen().fields):
            driver.tap(robot.BACK if "inspections" in fields else robot.NEXT)  # a tap missed
        forms = carried["forms"] + attempt + 1
        assert driver.type("forms", forms, commit=True), attempt
        deadline = time.monotonic() + 10
        while (draft := cadre.draft(store)).get("forms") != forms and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        assert (draft.get("forms"), draft.get("form_hours"), draft.get("duplicate_forms")) == \
            (forms, carried["form_hours"], carried["duplicate_forms"]), (attempt, draft)


def until(driver, wanted, timeout: float = 30) -> robot.Screen:
    """The first screen that is as wanted, or the last one seen at the timeout."""
    deadline = time.monotonic() + timeout
    while not wanted(screen := driver.screen()) and time.monotonic() < deadline:
        time.sleep(0.3)
    return screen


def test_the_draft_notice_stays_in_view_and_goes_by_itself_when_the_database_is_back(
        world, cadres):
    """Fault 4: during an outage, 下一步 moved on with the "draft not saved" notice drawn below
    the form, out of view on a phone, and the draft waited for the cadre's next tap once the
    database was back. Now the notice is at the top of the form and stays in view while the
    cadre scrolls, and the page saves by itself (a cadre may close it once the notice goes)."""
    cadre, cluster, store = cadres(101), world["cluster"], world["store"]
    driver = cadre.driver
    cluster.pause()
    assert driver.type("meeting_hours", 7.5, commit=True)  # the last field: scrolled down
    screen = until(driver, lambda screen: screen.unsaved)
    assert screen.unsaved and "meeting_hours" in screen.fields, screen.text  # in view
    assert driver.type("meetings", 9, commit=False)
    assert driver.tap(robot.NEXT)
    screen = until(driver, lambda screen: "forms" in screen.fields and screen.unsaved)
    assert screen.unsaved, screen.text  # in view, at the top of the next section
    assert driver.type("duplicate_forms", 1, commit=True)  # the page scrolls to it
    driver.settle(30)
    assert until(driver, lambda screen: screen.unsaved).unsaved  # still in view
    cluster.resume()
    screen = until(driver, lambda screen: not screen.unsaved, timeout=20)
    assert not screen.unsaved, "the notice is still there 20 s after the database is back"
    draft = cadre.draft(store)
    assert (draft["meeting_hours"], draft["meetings"], draft["duplicate_forms"]) == \
        (7.5, 9, 1), draft


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_next_and_back_during_an_outage_never_show_a_section_without_the_notice(
        world, cadres, lang):
    """The low fault of issue 19: during an outage, 下一步 moved on and showed the new section
    without the draft-not-saved notice until that section's save had failed (0.5-5 s later):
    the notice of the last failed save was moved out of place by the scroll script drawn on a
    new step only. Now every look at the page while the taps' runs go shows it, in the page's
    language, and once the database is back the draft holds every value typed."""
    cadre, cluster, store = cadres(104, lang), world["cluster"], world["store"]
    driver, typed, bare = cadre.driver, {}, []
    cluster.pause()
    typed["meetings"] = cadre.before["meetings"] + 1
    assert driver.type("meetings", typed["meetings"], commit=True)
    assert until(driver, lambda screen: screen.unsaved).unsaved
    for tap in (robot.NEXT, robot.BACK, robot.NEXT):
        driver.settle()
        qid = next(f for f in driver.screen().fields
                   if driver.questions[f].type in NUMERIC_TYPES)
        typed[qid] = (driver.shown(qid) or 0) + 1
        assert driver.type(qid, typed[qid], commit=True), qid
        driver.settle()
        assert driver.tap(tap) or driver.settle() and driver.tap(tap)  # once more if busy
        end = time.monotonic() + 2.5  # the tap's runs: the new section, its save failing
        while time.monotonic() < end:
            screen = driver.screen()
            if screen.kind == robot.SECTION and not screen.unsaved:
                bare.append(f"after {tap}: {screen.fields}")
            time.sleep(0.05)
    assert not bare, bare  # (screen.unsaved: the notice's words in the page's language)
    cluster.resume()
    assert not until(driver, lambda screen: not screen.unsaved, timeout=20).unsaved
    draft = cadre.draft(store)
    assert {qid: draft.get(qid) for qid in typed} == typed, draft


def test_an_answer_lost_with_the_connection_leaves_no_field_empty(world, cadres):
    """Fault 5 (issue 19, found by seed 1 at load 18): the signal fades, so the app gets
    上一步 but its answer (section 1 drawn with last period's answers) never reaches the phone,
    then the connection drops. The page comes back showing section 2; the full run after the
    reconnect drew section 1 without its answers (the app counted them as in the browser, as
    the run before had drawn them), the fields came up empty and the next number typed stored
    the other three as emptied."""
    cadre, proxy, store = cadres(105), world["proxy"], world["store"]
    driver, carried = cadre.driver, cadre.before
    assert driver.tap(robot.NEXT)
    assert "forms" in until(driver, lambda screen: "forms" in screen.fields).fields
    driver.settle()
    proxy.hold()
    assert driver.tap(robot.BACK)
    time.sleep(1.5)  # the app has drawn section 1; the phone never gets it
    proxy.down()
    time.sleep(4)
    proxy.up()
    until(driver, lambda screen: "documents" in screen.fields, timeout=40)
    driver.settle()
    section_1 = ("documents", "documents_action", "meetings", "meeting_hours")
    assert {qid: driver.shown(qid) for qid in section_1} == \
        {qid: carried[qid] for qid in section_1}
    assert driver.type("documents", carried["documents"] + 1, commit=True)
    driver.settle()
    draft = cadre.draft(store)
    assert {qid: draft.get(qid) for qid in section_1} == \
        {**{qid: carried[qid] for qid in section_1}, "documents": carried["documents"] + 1}


def test_a_number_typed_as_the_signal_drops_is_saved_when_it_returns(world, cadres):
    """Fault 6 (issue 19, found by a cadre's try-out): a number typed, the field still
    focused, when the signal drops. Streamlit disables the fields while disconnected, which
    takes the focus without committing; when the connection came back the number was on
    screen and never saved, though the dialog says it will be. Now the page commits it once
    the connection is back; until then leaving the page asks first."""
    cadre, proxy, store = cadres(106), world["proxy"], world["store"]
    driver, page, carried = cadre.driver, cadre.driver.page, cadre.before
    wanted = carried["meetings"] + 2
    assert driver.type("meetings", wanted, commit=False)  # typed; the field keeps the focus
    cadre.context.set_offline(True)
    proxy.down()
    page.get_by_text("网络连接中断").wait_for(timeout=30000)
    assert page.evaluate("() => window.__surveyUnsaved()")  # leaving now would ask
    proxy.up()
    cadre.context.set_offline(False)
    page.wait_for_function("() => !window.__surveyUnsaved()", timeout=60000)
    driver.settle()
    assert driver.shown("meetings") == wanted
    assert cadre.draft(store).get("meetings") == wanted


def test_a_dropped_connection_is_told_in_the_pages_language(world, cadres):
    """Fault 3: Streamlit's own "Connection error" dialog was English in the Chinese form; the
    skip link for keyboard users too."""
    cadre, proxy = cadres(102), world["proxy"]
    page, driver = cadre.driver.page, cadre.driver
    assert page.locator("[data-testid=stSkipToContent]").text_content() == "跳到主要内容"
    cadre.context.set_offline(True)
    proxy.down()
    page.get_by_text("网络连接中断").wait_for(timeout=30000)
    assert "请勿关闭或刷新本页" in driver.screen().text
    assert not robot.foreign_words(driver.screen().text, "zh"), driver.screen().text
    proxy.up()
    cadre.context.set_offline(False)
    page.get_by_text("网络连接中断").wait_for(state="detached", timeout=30000)
    assert driver.type("meetings", 12, commit=True)  # the same session carries on
    driver.settle()
    assert cadre.draft(world["store"])["meetings"] == 12
