"""The analysts' answers view: choice labels beside the codes, multiple choices included."""

import datetime as dt

from survey import periods
from survey.bootstrap import publish_dir
from survey.store import Point, Store
from tests.conftest import KEY

FORM = """
id: channels_monthly
version: 1
title: {zh: 渠道, en: Channels}
period: month
audience: cadre
sections:
  - id: s
    title: {zh: 渠道, en: Channels}
    questions:
      - id: channels
        type: multiple_choice
        label: {zh: "通过哪些渠道报送?", en: "Through which channels?"}
        choices:
          - {value: paper, label: {zh: 纸质, en: Paper}}
          - {value: app, label: {zh: 政务APP, en: Government app}}
          - {value: chat, label: {zh: 工作群}}
      - id: mood
        type: single_choice
        label: {zh: 心情, en: Mood}
        choices:
          - {value: ok, label: {zh: 还行, en: Fine}}
          - {value: bad, label: {zh: 不好, en: Bad}}
"""


def test_multiple_choice_labels_in_code_order_with_english_falling_back(tmp_path):
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "channels.yaml").write_text(FORM, encoding="utf-8")
    store = Store(tmp_path / "s.duckdb", KEY)
    published, problems = publish_dir(store, folder)
    assert not problems, problems
    store.add_points([Point("P1", "和平村", "village", "village", ("江北市", "清河县"))])
    qn = next(q for q in store.current_questionnaires() if q.id == "channels_monthly")
    period = periods.key_for("month", dt.date.today())
    given = [["chat", "paper"], ["app"], []]
    for n, chosen in enumerate(given):
        respondent = store.respondent(store.issue_codes("P1", 1)[0])
        answers = {"mood": "ok"} | ({"channels": chosen} if chosen else {})
        store.submit(respondent, qn, period, answers, f"t{n}")
    rows = store.query("SELECT list_sort(value_choices), label_zh, label_en FROM answers WHERE "
                       "question_id = 'channels' ORDER BY list_sort(value_choices)[1]")
    assert rows == [(["app"], "政务APP", "Government app"),
                    (["chat", "paper"], "工作群; 纸质", "工作群; Paper")]
    assert store.query("SELECT DISTINCT label_zh, label_en FROM answers WHERE "
                       "question_id = 'mood'") == [("还行", "Fine")]
    assert store.count("answers") == 5  # one row per answer, none doubled by the label join
    store.close()
