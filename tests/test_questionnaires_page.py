"""AppTest of the admin's questionnaire page (问卷管理) against a real database: versions, the
validation summary and the form's own burden per period."""

import datetime as dt

from streamlit.testing.v1 import AppTest

from survey import periods
from tests.conftest import KEY, ROOT, VILLAGE, add_staff, as_user, complete_answers

APP = str(ROOT / "survey_app.py")
LAST = periods.previous("month", periods.key_for("month", dt.date.today()))


def test_questionnaire_admin_page_lists_versions_and_the_forms_burden(store, db_path, monthly,
                                                                      monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.submit(store.respondent(code), monthly, LAST, complete_answers(), "first",
                 started_at=dt.datetime.now() - dt.timedelta(seconds=95))
    add_staff(store, "boss", "admin")
    at = as_user(AppTest.from_file(APP, default_timeout=30), "boss").run()
    at.switch_page("app_pages/questionnaires.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table.iloc[:, 0]) == {"burden_monthly", "public_rating"}
    assert at.success[0].value == "所有问卷文件均通过校验。"
    burden = next(d.value for d in at.dataframe if "中位用时(分钟)" in d.value.columns)
    row = burden.iloc[0]
    assert row["期次"] == LAST and row["提交数"] == 1
    assert 1.5 <= row["中位用时(分钟)"] <= 1.7
