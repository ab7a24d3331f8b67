"""The CLI as an operator uses it, and the demo data a first start creates."""

import datetime as dt
import os
import re
import subprocess
import sys

from survey import answers as rules
from survey import demo
from survey.bootstrap import start
from survey.config import resolve
from tests.conftest import ROOT


def cli(*args, db=None):
    env = {**os.environ, "SURVEY_CODE_KEY": "k" * 32, "SURVEY_DEMO": "1"}
    if db:
        env["SURVEY_DB"] = str(db)
    return subprocess.run([sys.executable, "-m", "survey", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_validate_reports_every_problem_and_exits_non_zero():
    broken = ROOT / "tests" / "broken"
    result = cli("validate", broken / "unknown_type.yaml", broken / "min_greater_than_max.yaml")
    assert result.returncode == 1
    assert "unknown_type.yaml:10:15: Q106 unknown question type 'integr'" in result.stderr
    assert "min_greater_than_max.yaml:12:14: Q111" in result.stderr
    assert "2 problem(s) found" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_speaks_the_language_asked_for_with_the_place_of_each_problem():
    broken = ROOT / "tests" / "broken"
    files = (broken / "unknown_type.yaml", broken / "min_greater_than_max.yaml")
    zh = cli("validate", "--lang", "zh", *files)
    assert zh.returncode == 1
    assert "unknown_type.yaml:10:15: Q106 未知的题型 'integr'(是否应为 'integer'?)" in zh.stderr
    assert "min_greater_than_max.yaml:12:14: Q111 min(80)大于 max(0);请交换两者" in zh.stderr
    assert "发现 2 处问题" in zh.stderr and "unknown question type" not in zh.stderr
    en = cli("validate", "--lang", "en", *files)
    assert "min_greater_than_max.yaml:12:14: Q111 min (80) is greater than max (0)" in en.stderr
    assert "未知" not in en.stderr
    both = cli("validate", *files).stderr.splitlines()  # by default: Chinese, then English
    first = next(i for i, line in enumerate(both) if "Q106" in line)
    assert "未知的题型" in both[first] and "unknown question type" in both[first + 1]


def test_validate_default_questionnaires_passes():
    result = cli("validate")
    assert result.returncode == 0, result.stderr
    assert re.search(r"burden_monthly v\d+ ", result.stdout)


def test_init_codes_period_and_demo_remove(tmp_path):
    db = tmp_path / "ops.duckdb"
    assert cli("init", db=db).returncode == 0
    issued = cli("codes", "issue", "DEMO-001", "--count", "3", db=db)
    assert issued.returncode == 0 and len(issued.stdout.split()) == 3
    bad = cli("codes", "issue", "NO-SUCH-POINT", db=db)
    assert bad.returncode == 2 and "no monitoring point 'NO-SUCH-POINT'" in bad.stderr
    assert cli("period", "close", "burden_monthly", "2026-13", db=db).returncode == 2
    assert cli("period", "close", "burden_monthly", "2026-10", db=db).returncode == 0
    removed = cli("demo", "--remove", db=db)
    assert removed.returncode == 0 and "60 points" in removed.stdout
    assert cli("points", db=db).stdout == ""


def test_broken_questionnaire_does_not_stop_the_start(tmp_path):
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / "good.yaml").write_text((ROOT / "questionnaires" / "burden_monthly.yaml").read_text())
    (folder / "bad.yaml").write_text("id: bad\nversion: 1\ntitle: x\nsections: [\n")
    cfg = resolve({"SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_CODE_KEY": "k",
                   "SURVEY_QUESTIONNAIRES": str(folder), "SURVEY_DEMO": "0"})
    startup = start(cfg)
    assert [q.id for q in startup.store.current_questionnaires()] == ["burden_monthly"]
    assert len(startup.problems) == 1 and "bad.yaml:5:1: Y001" in startup.problems[0]
    startup.store.close()


def test_first_start_seeds_plausible_demo_data(tmp_path):
    cfg = resolve({"SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_CODE_KEY": "k"})
    startup = start(cfg)
    store = startup.store
    assert startup.demo_loaded
    points = store.query("SELECT kind, count(*) FROM points WHERE is_demo GROUP BY kind")
    kinds = dict(points)
    assert 55 <= sum(kinds.values()) <= 65
    assert set(kinds) == {"county_dept", "township", "village", "community", "enterprise",
                          "school", "hospital"}
    assert store.query("SELECT count(DISTINCT prefecture) FROM points") == [(2,)]
    months = store.query("SELECT count(DISTINCT period_key) FROM submissions WHERE "
                         "questionnaire_id = 'burden_monthly'")[0][0]
    assert months == demo.MONTHS
    # meeting load falls after the policy month
    by_month = dict(store.query("SELECT period_key, avg(value) FROM indicator_values WHERE "
                                "indicator = 'meetings' GROUP BY ALL"))
    ordered = [by_month[k] for k in sorted(by_month)]
    assert sum(ordered[-6:]) / 6 < 0.85 * sum(ordered[:6]) / 6
    # every demo answer set is valid for the questionnaire it claims to answer
    sample = store.query("SELECT submission_id, questionnaire_id, questionnaire_version "
                         "FROM submissions USING SAMPLE 300 ROWS")
    for sid, qid, version in sample:
        qn = store.questionnaire(qid, version)
        assert rules.validate(qn, store.submission_answers(sid)) == {}, (qid, sid)
    store.close()
    again = start(cfg)  # a second start does not add demo data twice
    assert not again.demo_loaded
    assert again.store.count("points") == sum(kinds.values())
    again.store.close()


def test_demo_codes_work_on_the_fill_page_store(tmp_path):
    cfg = resolve({"SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_CODE_KEY": "k"})
    store = start(cfg).store
    code, name = store.demo_codes()[0]
    respondent = store.respondent(code)
    assert respondent.point.name == name and respondent.point.is_demo
    qn = store.questionnaires_for(respondent.point)[0]
    last = store.previous_answers(respondent, qn, f"{dt.date.today():%Y-%m}")
    assert last is not None  # demo respondents have history to carry forward
    store.close()


def test_schema_doc_is_up_to_date(store):
    from survey.schema_doc import render
    assert render(store) == (ROOT / "docs" / "schema.md").read_text(encoding="utf-8"), \
        "docs/schema.md is stale: run python -m survey schema-doc --write"
