"""The chaos robot on the real fill page: Chromium at 375 px, the app under `streamlit run` on
a throwaway PostgreSQL that is stopped and started under the cadre's fingers, the network
dropped, the page reloaded; then the database must hold every value typed (tests/chaos_robot.py).

CI runs a few seeded runs (seeds 1-3, CHAOS_STEPS steps each, default 30); a soak:
    CHAOS_RUNS=50 python -m pytest tests/test_chaos_form.py -q
A failure names its seed and the robot's steps; CHAOS_SEEDS=17 replays that script (the
timing is real, so the page may answer differently); CHAOS_TRACE=file logs the steps with
wall-clock times, to read beside the server's log."""

from __future__ import annotations

import os
import random

import pytest

from survey import periods
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
    return list(range(1, int(os.environ.get("CHAOS_RUNS", "3")) + 1))


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


@pytest.mark.parametrize("seed", seeds())
def test_nothing_typed_is_lost_under_faults(world, seed):
    store, cluster = world["store"], world["cluster"]
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    period = store.open_periods(qn)[0]
    last = periods.previous("month", period)
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    respondent = store.respondent(code)
    before = last_period_answers(seed)
    store.submit(respondent, qn, last, before, f"last-{seed}")

    context = world["browser"].new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                           locale="zh-CN")
    try:
        driver = StreamlitDriver(context.new_page(), qn)
        driver.open(world["proxy"].url, code)
        faults = Outages(cluster, world["proxy"], context)
        cadre = robot.Robot(driver, faults, qn, period, last, before, seed)
        cadre.shots = world["shots"]
        cadre.checkpoint_store = lambda: robot.check_store(
            store, respondent, qn, period, cadre.carried, cadre.ledger)
        ledger = cadre.run(STEPS)
    finally:
        world["proxy"].up()
        context.close()
        if not (cluster.data / "postmaster.pid").exists():
            cluster.resume()  # a run that failed half-way leaves the database up for the next
    problems = ledger.problems + robot.check_store(store, respondent, qn, period,
                                                   cadre.carried, ledger)
    assert not problems, (f"seed {seed}: " + "; ".join(problems)
                          + "\nlast steps:\n" + ledger.tail())
