"""The chaos robot on the light form (/f, issue 27) with its script on: Chromium at 375 px,
the real app on a throwaway PostgreSQL that is stopped and started, the network cut (proxy
and Chromium offline), reloads and fast taps (tests/chaos_robot.py, driver
tests/chaos_light.py); then the database must hold every value typed. Shares the app, the
database and the browser of tests/test_chaos_form.py (its `world`).

CI runs seeds 1-2 at CHAOS_LIGHT_STEPS steps (default 20, ~25 s a run); a soak:
    CHAOS_RUNS=30 CHAOS_LIGHT_STEPS=60 python -m pytest tests/test_chaos_light.py -q -k faults
CHAOS_SEEDS=17 replays one script (timing is real)."""

from __future__ import annotations

import os
import random
import time

import pytest

from survey.i18n import t
from tests import chaos_robot as robot
from tests.test_chaos_form import cadres, run_robot, seeds, until, world  # noqa: F401

playwright = pytest.importorskip("playwright.sync_api")
from tests.chaos_light import LightDriver  # noqa: E402 - needs playwright

STEPS = int(os.environ.get("CHAOS_LIGHT_STEPS", "20"))


def light(cadres, seed: int, lang: str = "zh"):  # noqa: F811
    return cadres(seed, lang, driver=LightDriver)


def cut(world, cadre, up: bool) -> None:
    cadre.context.set_offline(not up)
    (world["proxy"].up if up else world["proxy"].down)()


@pytest.mark.parametrize("seed", seeds() if os.environ.get("CHAOS_SEEDS") or
                         os.environ.get("CHAOS_RUNS") else [1, 2])
def test_nothing_typed_is_lost_under_faults_on_the_light_form(world, cadres, seed):  # noqa: F811
    run_robot(world, light(cadres, seed), seed, STEPS)


def test_fast_taps_while_the_network_comes_and_goes_never_empty_a_carried_answer(
        world, cadres):  # noqa: F811
    """The try-out's fault on the Streamlit form: 上一步/下一步 tapped fast while the signal
    came and went stored carried answers as empty. Here the network is cut and restored every
    1-5 s for 25 s while the cadre taps back and forth and now and then types a number; the
    draft is read all along: no carried answer may be empty in it, ever, and at the end it
    holds every number typed."""
    cadre, store = light(cadres, 201), world["store"]
    driver, rnd = cadre.driver, random.Random(201)
    carried = {k: v for k, v in cadre.before.items() if v is not None}
    typed, seen_empty, up = {}, [], True
    switch = time.monotonic() + rnd.uniform(1, 5)
    end = time.monotonic() + 25
    while time.monotonic() < end:
        if time.monotonic() > switch:
            up = not up
            cut(world, cadre, up)
            switch = time.monotonic() + rnd.uniform(1, 5)
        screen = driver.screen()
        numbers = [f for f in screen.fields if driver.questions[f].type == "integer"]
        if numbers and rnd.random() < 0.25:
            qid = rnd.choice(numbers)
            value = int(driver.shown(qid) or 0) + 1 if driver.shown(qid) is not \
                robot.NOT_SHOWN else None
            if value is not None and driver.type(qid, value, commit=False):
                typed[qid] = value
        else:
            driver.tap(rnd.choice([robot.NEXT, robot.NEXT, robot.BACK]))
        draft = cadre.draft(store)
        seen_empty += [qid for qid in carried if qid in draft and draft[qid] is None]
        time.sleep(rnd.uniform(0.05, 0.3))
    cut(world, cadre, True)
    assert driver.settle(30) and not driver.screen().unsaved, driver.screen().text
    draft = cadre.draft(store)
    assert not seen_empty, seen_empty
    assert {q: draft.get(q) for q in typed} == typed, draft
    untouched = {q: v for q, v in carried.items() if q not in typed}
    assert {q: draft.get(q, v) for q, v in untouched.items()} == untouched, draft


def test_values_typed_offline_come_back_when_the_link_is_opened_again(world, cadres):  # noqa: F811
    """Typed with no network, 下一步 tapped: the page stays, with the value, and says where it
    stands; the phone is put away. Opened again with the network back: the value is in its
    field, sent, and the step the cadre tapped is made; nothing stays in the browser."""
    cadre, store = light(cadres, 202), world["store"]
    driver, page = cadre.driver, cadre.driver.page
    wanted = cadre.before["documents"] + 3
    cut(world, cadre, False)
    assert driver.type("documents", wanted, commit=False) and driver.tap(robot.NEXT)
    page.get_by_text(t("lf_offline", "zh")).wait_for(timeout=10000)
    assert driver.screen().unsaved and driver.shown("documents") == wanted
    assert "documents" in page.evaluate("() => window.__lightForm.unconfirmed().q")
    page.close()
    cut(world, cadre, True)
    again = LightDriver(cadre.context.new_page(), cadre.qn)  # the cookie: the same cadre
    again.page.goto(f"{world['proxy'].url}/f")
    again.settle()
    assert "forms" in again.screen().fields  # the step tapped offline, made
    assert not again.page.evaluate("() => window.__lightForm.unconfirmed()")
    assert cadre.draft(store)["documents"] == wanted


def test_a_submit_whose_answer_was_lost_is_received_once(world, cadres):  # noqa: F811
    """提交 reaches the server but its answer is lost (the signal fades, then drops): the page
    sends it again by itself with the same key, and says it had been received; one
    submission."""
    cadre, store, proxy = light(cadres, 203), world["store"], world["proxy"]
    driver, page = cadre.driver, cadre.driver.page
    assert driver.tap(robot.KEEP)
    until(driver, lambda screen: screen.kind == robot.CONFIRM)
    driver.settle()
    proxy.hold()
    assert driver.tap(robot.SUBMIT)
    time.sleep(1.5)  # the server has it; the page never hears
    proxy.down()
    page.get_by_text(t("lf_offline", "zh")).wait_for(timeout=10000)
    proxy.up()
    page.get_by_text(t("submit_received", "zh")).wait_for(timeout=40000)
    assert driver.screen().kind == robot.RECEIPT and not driver.screen().unsaved
    history = store.history(cadre.respondent, cadre.qn.id, cadre.period)
    assert [r.revision for r in history] == [1]
