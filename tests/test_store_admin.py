"""The administrators' side of the store behaves the same on both engines: points imported and
edited, a lost code replaced with its history, periods closed and reopened, accounts changed,
questionnaire versions retired, the audit log filtered."""

from __future__ import annotations

import datetime as dt

import pytest

from survey import periods
from survey.store import CodeError, PeriodClosed, Point, StoreError
from tests.conftest import SCHOOL, VILLAGE, add_staff, complete_answers

TODAY = dt.date.today()


def test_points_import_updates_and_adds_with_regions_kept_as_lists(store):
    renamed = Point(VILLAGE.point_id, "和平村(新)", "village", "village", ("江北市", "清河县", "新镇"))
    added = Point("P-NEW-1", "新村", "village", "village", ("江北市", "青山县"))
    assert store.upsert_points([renamed, added], "boss") == (1, 1)
    assert store.point(VILLAGE.point_id).region == ("江北市", "清河县", "新镇")
    store.update_point("P-NEW-1", "boss", name="新村二组", region=("江北市", "青山县", "东镇"),
                       active=False)
    point = store.point("P-NEW-1")
    assert (point.name, point.region, point.active) == ("新村二组", ("江北市", "青山县", "东镇"), False)
    with pytest.raises(StoreError):
        store.update_point("P-NONE", "boss", name="x")
    assert [p.point_id for p in store.points()] == ["P-NEW-1", SCHOOL.point_id, VILLAGE.point_id]


def test_a_replaced_code_takes_over_history_and_carry_forward(store, monthly):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    last = periods.previous("month", periods.key_for("month", TODAY))
    store.submit(store.respondent(code), monthly, last, complete_answers(meetings=21), "t1")
    new_code = store.replace_code(code, "boss", take_over=True)
    with pytest.raises(CodeError):
        store.respondent(code)
    heir = store.respondent(new_code)
    assert store.kept(heir, monthly.id, last)[1]["meetings"] == 21
    assert store.previous_answers(heir, monthly, periods.key_for("month", TODAY))[1][
        "meetings"] == 21
    fresh = store.replace_code(new_code, "boss", take_over=False)
    assert store.kept(store.respondent(fresh), monthly.id, last) is None


def test_closing_a_period_refuses_it_and_reopening_lets_it_in(store, monthly):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    period = periods.key_for("month", TODAY)
    store.close_period(monthly.id, period, "boss")
    store.close_period(monthly.id, period, "boss")  # twice is fine
    assert period in store.closed_periods(monthly.id)
    with pytest.raises(PeriodClosed):
        store.submit(store.respondent(code), monthly, period, complete_answers(), "t")
    store.reopen_period(monthly.id, period, "boss")
    store.submit(store.respondent(code), monthly, period, complete_answers(), "t")
    usage = store.period_usage()
    assert (monthly.id, monthly.version, period, 1, False) in usage


def test_accounts_change_role_and_password_and_are_audited(store):
    add_staff(store, "li", "leader", ("江北市",))
    store.update_account("li", "boss", role="analyst", region=())
    store.set_password("li", "Another-Good-Pass-9", "boss", must_change=True)
    account = store.account("li")
    assert (account.role, account.must_change) == ("analyst", True)
    assert store.check_login("li", "Another-Good-Pass-9").username == "li"
    assert store.check_login("li", "wrong") is None
    store.update_account("li", "boss", disabled=True)
    assert store.check_login("li", "Another-Good-Pass-9") is None
    actions = [row[2] for row in store.audit_log(actor="boss", since=TODAY)]
    assert actions == ["update_account", "reset_password", "update_account"]  # newest first
    assert store.audit_log(actor="boss", action="reset_password")[0][3] == "li"
    assert "reset_password" in store.audit_actions()


def test_a_retired_version_is_no_longer_asked_but_keeps_its_answers(store, monthly):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.submit(store.respondent(code), monthly, periods.key_for("month", TODAY),
                 complete_answers(), "t")
    store.retire(monthly.id, monthly.version, "boss")
    assert monthly.id not in [q.id for q in store.current_questionnaires()]
    version = next(v for v in store.questionnaire_versions()
                   if (v["questionnaire_id"], v["version"]) == (monthly.id, monthly.version))
    assert version["retired_at"] is not None and version["submissions"] == 1
    assert store.questionnaire(monthly.id, monthly.version).content_hash == monthly.content_hash
