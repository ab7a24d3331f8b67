"""The store on real DuckDB files: atomicity, idempotency, revisions, drafts, migrations."""

import datetime as dt
import subprocess
import sys
import textwrap

import duckdb
import pytest

from survey.store import submissions as store_module
from survey.store.engine import migrations as engine_migrations
from survey.questionnaire import parse_text
from survey.store import (CodeError, InvalidAnswers, PeriodClosed, PublishRefused, Store, StoreError,
                          StoreLockedError)
from tests.conftest import KEY, ROOT, SCHOOL, VILLAGE, complete_answers

TODAY = dt.date.today()


def current(monthly):
    from survey import periods
    return periods.key_for(monthly.period, TODAY)


@pytest.fixture
def respondent(store):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    return store.respondent(code)


def test_code_is_stored_only_as_keyed_hash(store, db_path):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    raw = code.replace("-", "")
    keys = [r[0] for r in store.query("SELECT respondent_key FROM respondent")]
    assert raw not in "".join(keys) and code not in "".join(keys)
    assert store.respondent(code.lower().replace("-", " ")).point == VILLAGE


def test_unknown_malformed_and_revoked_codes(store):
    with pytest.raises(CodeError) as info:
        store.respondent("ABCD-EFGH")
    assert info.value.reason == "unknown"
    with pytest.raises(CodeError) as info:
        store.respondent("not a code")
    assert info.value.reason == "format"
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.revoke_code(code)
    with pytest.raises(CodeError) as info:
        store.respondent(code)
    assert info.value.reason == "revoked"


def test_submission_lands_in_the_analyst_views(store, monthly, respondent):
    receipt = store.submit(respondent, monthly, current(monthly), complete_answers(), "t1")
    row = store.query("SELECT point_id, questionnaire_id, questionnaire_version, period_key "
                      "FROM submissions WHERE submission_id = ?", [receipt.submission_id])
    assert row == [(VILLAGE.point_id, "burden_monthly", monthly.version, current(monthly))]
    values = dict(store.query("SELECT indicator, value FROM indicator_values"))
    assert values["meetings"] == 9 and values["meeting_hours"] == 6.5
    assert values["trace_demands"] == 1.0 and values["satisfaction"] == 4.0
    assert store.submission_answers(receipt.submission_id) == complete_answers()


def test_retried_submit_with_same_token_is_one_submission(store, monthly, respondent):
    first = store.submit(respondent, monthly, current(monthly), complete_answers(), "same")
    again = store.submit(respondent, monthly, current(monthly), complete_answers(), "same")
    assert first == again
    assert store.count("submissions") == 1
    assert store.query("SELECT count(*) FROM submission") == [(1,)]


def test_concurrent_double_click_creates_one_submission(store, monthly, respondent):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        receipts = list(pool.map(lambda _: store.submit(
            respondent, monthly, current(monthly), complete_answers(), "dbl"), range(8)))
    assert len({r.submission_id for r in receipts}) == 1
    assert store.query("SELECT count(*) FROM submission") == [(1,)]


def test_resubmission_replaces_and_keeps_history(store, monthly, respondent):
    period = current(monthly)
    store.submit(respondent, monthly, period, complete_answers(meetings=9), "a")
    second = store.submit(respondent, monthly, period, complete_answers(meetings=5), "b")
    assert second.revision == 2
    assert store.query("SELECT count(*) FROM submissions") == [(1,)]
    assert store.query("SELECT value FROM indicator_values WHERE indicator = 'meetings'") == [(5.0,)]
    history = store.history(respondent, monthly.id, period)
    assert [r.revision for r in history] == [1, 2]
    assert store.query("SELECT revision, is_kept FROM submission_history ORDER BY revision") == \
        [(1, False), (2, True)]


def test_failure_mid_submission_leaves_nothing(store, monthly, respondent, monkeypatch):
    good_rows = store_module._answer_rows

    def broken_rows(qn, stored):  # a row that violates NOT NULL makes the INSERT fail
        rows = good_rows(qn, stored)
        return rows + [(None,) + rows[0][1:]]
    monkeypatch.setattr(store_module, "_answer_rows", broken_rows)
    with pytest.raises(Exception):
        store.submit(respondent, monthly, current(monthly), complete_answers(), "boom")
    for table in ("submission", "answer", "kept"):
        assert store.query(f"SELECT count(*) FROM {table}") == [(0,)], table
    monkeypatch.setattr(store_module, "_answer_rows", good_rows)
    store.submit(respondent, monthly, current(monthly), complete_answers(), "boom")
    assert store.count("submissions") == 1


def test_invalid_answers_are_refused_and_nothing_is_written(store, monthly, respondent):
    with pytest.raises(InvalidAnswers) as info:
        store.submit(respondent, monthly, current(monthly), complete_answers(forms=1,
                                                                             duplicate_forms=4), "x")
    assert "duplicate_forms" in info.value.errors
    assert store.query("SELECT count(*) FROM submission") == [(0,)]


def test_closed_period_refuses_submissions_and_revisions(store, monthly, respondent):
    period = current(monthly)
    store.submit(respondent, monthly, period, complete_answers(), "a")
    store.close_period(monthly.id, period, "tester")
    assert period not in store.open_periods(monthly)
    with pytest.raises(PeriodClosed):
        store.submit(respondent, monthly, period, complete_answers(meetings=1), "b")
    assert store.query("SELECT action FROM audit_log WHERE action = 'close_period'") == \
        [("close_period",)]


def test_text_with_sql_and_html_is_stored_verbatim(store, monthly, respondent):
    text = "'); DROP TABLE answer; -- <script>alert('x')</script> 过度留痕"
    store.submit(respondent, monthly, current(monthly), complete_answers(one_cut=text), "t")
    assert store.query("SELECT value_text FROM answers WHERE question_id = 'one_cut'") == [(text,)]


def test_drafts_survive_a_new_store_and_are_per_respondent(store, monthly, respondent,
                                                           store_target):
    period = current(monthly)
    started = dt.datetime(2026, 11, 3, 9, 0)
    store.save_draft(respondent, monthly, period, {"documents": 12, "one_cut": "表太多"}, started)
    other = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
    store.close()
    reopened = Store(store_target, KEY)
    draft = reopened.draft(respondent, monthly.id, period)
    assert draft.answers == {"documents": 12, "one_cut": "表太多"} and draft.started_at == started
    assert reopened.draft(other, monthly.id, period) is None
    reopened.submit(respondent, monthly, period, complete_answers(), "t", started_at=started,
                    now=dt.datetime(2026, 11, 3, 9, 4))
    assert reopened.draft(respondent, monthly.id, period) is None  # submitted: draft gone
    assert reopened.query("SELECT duration_s FROM submissions") == [(240.0,)]
    reopened.close()


def test_carry_forward_reads_the_previous_period(store, monthly, respondent):
    from survey import periods
    period = current(monthly)
    last = periods.previous("month", period)
    store.submit(respondent, monthly, last, complete_answers(apps=11), "old")
    found = store.previous_answers(respondent, monthly, period)
    assert found[0] == last and found[1]["apps"] == 11


def test_publishing_changed_content_under_same_version_is_refused(store, monthly):
    changed = monthly.source_text.replace('zh: 基层减负监测月报', 'zh: 基层减负监测月报(改)', 1)
    model, problems = parse_text(changed, "changed.yaml")
    assert problems == []
    with pytest.raises(PublishRefused) as info:
        store.publish(model)
    version = monthly.version
    assert f"raise 'version:' to {version + 1}" in str(info.value)
    assert store.publish(monthly) == "unchanged"
    bumped, _ = parse_text(changed.replace(f"version: {version}", f"version: {version + 1}", 1),
                           "next.yaml")
    assert store.publish(bumped) == "published"
    assert [q.version for q in store.current_questionnaires() if q.id == monthly.id] == [version + 1]
    assert store.questionnaire(monthly.id, version).content_hash == monthly.content_hash


def test_every_submission_keeps_its_exact_questionnaire(store, monthly, respondent):
    receipt = store.submit(respondent, monthly, current(monthly), complete_answers(), "t")
    row = store.query("SELECT v.yaml_text FROM submission s JOIN questionnaire_version v ON "
                      "v.questionnaire_id = s.questionnaire_id AND v.version = s.version AND "
                      "v.content_hash = s.content_hash WHERE submission_id = ?",
                      [receipt.submission_id])
    assert row[0][0] == monthly.source_text


def test_migrations_upgrade_a_database_made_by_schema_version_1(tmp_path, monkeypatch):
    from survey.store import engine as engine_module
    path = tmp_path / "old.duckdb"
    every = engine_module.migrations
    first_only = [m for m in every("duckdb") if m[0] == 1]
    monkeypatch.setattr(engine_module, "migrations", lambda dialect: first_only)
    from survey.store import respondents  # the version that made it did not check the code key
    monkeypatch.setattr(respondents, "check_code_key", lambda store: None)
    old = Store(path, KEY)
    assert old.schema_version() == 1
    old.add_points([VILLAGE])
    old.close()
    monkeypatch.undo()
    upgraded = Store(path, KEY)
    assert upgraded.schema_version() == max(m[0] for m in every("duckdb"))
    assert upgraded.query("SELECT point_id, county FROM points") == [(VILLAGE.point_id, "清河县")]
    assert upgraded.query("SELECT name FROM schema_migrations ORDER BY version")[0] == \
        ("001_core_tables",)
    upgraded.close()


def test_demo_removal_keeps_real_data(store, monthly, respondent):
    from survey import demo
    store.submit(respondent, monthly, current(monthly), complete_answers(), "real")
    demo.load(store)
    assert store.count("points") > 60
    store.remove_demo()
    assert store.query("SELECT point_id FROM points ORDER BY 1") == \
        [(SCHOOL.point_id,), (VILLAGE.point_id,)]
    assert store.count("submissions") == 1


@pytest.mark.embedded_only
def test_locked_database_gives_a_clear_message(db_path, store):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from survey.store import Store, StoreLockedError
        try:
            Store({str(db_path)!r}, b"k")
        except StoreLockedError as exc:
            print(exc)
            sys.exit(3)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 3, result.stderr
    assert "in use by another program" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_unwritable_data_location_gives_a_clear_message(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreError) as info:
        Store(blocker / "survey.duckdb", KEY)
    assert "SURVEY_DB" in str(info.value)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 24 MB tmpfs: a real full disk (needs root, as on the dev and CI machines)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24M", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_disk(folder):
    with open(folder / "filler", "wb", buffering=0) as fh:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    fh.write(b"x" * size)
            except OSError:
                pass


def test_full_disk_gives_a_clear_message_and_loses_nothing_acknowledged(tiny_disk):
    from survey.bootstrap import publish_dir
    path = tiny_disk / "survey.duckdb"
    s = Store(path, KEY)
    publish_dir(s, ROOT / "questionnaires")
    s.add_points([VILLAGE])
    respondent = s.respondent(s.issue_codes(VILLAGE.point_id, 1)[0])
    monthly = next(q for q in s.current_questionnaires() if q.id == "burden_monthly")
    fill_disk(tiny_disk)
    acknowledged, error = 0, None
    for i in range(5000):
        try:
            s.submit(respondent, monthly, current(monthly),
                     complete_answers(one_cut="重复报表" * 100), f"t{i}")
            acknowledged += 1
        except StoreError as exc:
            error = exc
            break
    assert error is not None and "the disk is full" in str(error)
    try:
        s.close()
    except duckdb.Error:
        pass
    (tiny_disk / "filler").unlink()
    with Store(path, KEY) as reopened:
        assert reopened.query("SELECT count(*) FROM submission") == [(acknowledged,)]


def test_a_crash_right_after_first_start_leaves_an_openable_database(tmp_path):
    """Regression: DuckDB 1.5.5 could not replay migration DDL from the WAL (duckdb#20543);
    the store checkpoints after migrating, so a kill -9 just after start is harmless."""
    path = tmp_path / "crash.duckdb"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from survey.store import Store, Point
        s = Store({str(path)!r}, {KEY!r})
        s.add_points([Point("P", "村", "village", "village", ("市",))])
        os._exit(0)  # no clean shutdown, no checkpoint of the last write
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    with Store(path, KEY) as reopened:
        assert reopened.query("SELECT point_id FROM points") == [("P",)]
        assert reopened.schema_version() == max(m[0] for m in engine_migrations("duckdb"))
