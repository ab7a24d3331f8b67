"""XLSForm import and export on real public forms (tests/xlsforms/, with source and licence)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from survey import periods
from survey.interop.xlsform_export import check, to_xlsform
from survey.interop.xlsform_import import import_xlsform
from survey.questionnaire import parse_file

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "tests" / "xlsforms"

# form -> (questions imported, the located items that did not map: (sheet, row, item, kind))
EXPECTED = {
    'UCL_Biomass_Plot_Form.xlsx': (13, [
        ('survey', 10, 'leader_number', 'changed'),
        ('survey', 16, 'region_id', 'skipped'),
        ('survey', 17, 'district_id', 'skipped'),
        ('survey', 18, 'village', 'skipped'),
        ('survey', 20, 'plot_id', 'skipped'),
        ('survey', 22, 'center_point', 'skipped'),
        ('survey', 23, 'center_image', 'skipped'),
        ('survey', 26, 'slope_radius', 'changed'),
        ('survey', 27, 'slope_radius_inner', 'changed'),
        ('survey', 28, 'note3', 'changed'),
        ('survey', 32, 'trees', 'skipped'),
        ('survey', 33, 'plot_id1', 'skipped'),
        ('survey', 34, 'tag', 'skipped'),
        ('survey', 35, 'latin_name_id', 'skipped'),
        ('survey', 36, 'latin_name_other', 'skipped'),
        ('survey', 37, 'tree_bearing', 'skipped'),
        ('survey', 38, 'tree_distance', 'skipped'),
        ('survey', 39, 'size_constraint', 'skipped'),
        ('survey', 40, 'bole_height', 'skipped'),
        ('survey', 41, 'stem_count', 'skipped'),
        ('survey', 44, 'tag_1', 'skipped'),
        ('survey', 45, 'cbh', 'skipped'),
        ('survey', 46, 'tree_photo', 'skipped'),
        ('survey', 47, 'health_id', 'skipped'),
        ('survey', 48, 'decay_class', 'skipped'),
        ('survey', 49, 'stem_height', 'skipped'),
        ('survey', 50, 'stem_notes', 'skipped'),
        ('survey', 56, 'stumps', 'skipped'),
        ('survey', 57, 'stump_latin_name_id', 'skipped'),
        ('survey', 58, 'stump_latin_name_other', 'skipped'),
        ('survey', 59, 'stump_bearing', 'skipped'),
        ('survey', 60, 'stump_distance', 'skipped'),
        ('survey', 61, 'stump_age', 'skipped'),
        ('survey', 62, 'stump_height', 'skipped'),
        ('survey', 63, 'stump_center_circumference', 'skipped'),
        ('survey', 64, 'stump_30cm_circumference', 'skipped'),
        ('survey', 65, 'stump_photo', 'skipped'),
        ('survey', 66, 'stump_health_id', 'skipped'),
        ('survey', 67, 'stump_decay_class', 'skipped'),
        ('survey', 68, 'stump_notes', 'skipped'),
        ('survey', 72, 'subplot1', 'skipped'),
        ('survey', 73, 'latin_name_id_sp1', 'skipped'),
        ('survey', 74, 'latin_name_other_sp1', 'skipped'),
        ('survey', 75, 'Seedling_1', 'skipped'),
        ('survey', 76, 'Coppice_1', 'skipped'),
        ('survey', 77, 'Sucker_1', 'skipped'),
        ('survey', 80, 'subplot2', 'skipped'),
        ('survey', 81, 'latin_name_id_sp2', 'skipped'),
        ('survey', 82, 'latin_name_other_sp2', 'skipped'),
        ('survey', 83, 'Seedling_2', 'skipped'),
        ('survey', 84, 'Coppice_2', 'skipped'),
        ('survey', 85, 'Sucker_2', 'skipped'),
        ('survey', 91, 'deviceid', 'skipped'),
    ]),
    'calculate.xls': (0, [
        ('survey', 0, '', 'skipped'),
        ('survey', 2, 'calculate_test', 'changed'),
        ('survey', 3, 'calculate_test_output', 'changed'),
        ('survey', 3, 'note', 'skipped'),
        ('survey', 4, 'calculate_test_2', 'changed'),
        ('survey', 5, 'calculate_test_2_output', 'changed'),
    ]),
    'cascading_select_test_equivalent.xls': (7, [
        ('survey', 5, 'mylga_state', 'changed'),
        ('survey', 6, 'mylga_lga_in_state_1', 'changed'),
        ('survey', 7, 'mylga_lga_in_state_2', 'changed'),
        ('survey', 8, 'mylga_lga_in_state_3', 'changed'),
        ('survey', 9, 'mylga_lga_in_state_4', 'changed'),
        ('survey', 10, 'mylga', 'changed'),
    ]),
    'case_insensitivity.csv': (1, [
        ('survey', 3, 'q2', 'skipped'),
        ('survey', 4, 'q3', 'skipped'),
    ]),
    'choice_filter_test.xlsx': (3, [
        ('choices', 4, 'county', 'changed'),
        ('survey', 3, 'county', 'changed'),
        ('survey', 4, 'city', 'changed'),
    ]),
    'default_time_demo.xls': (0, [
        ('survey', 0, '', 'skipped'),
        ('survey', 2, 'start_time', 'skipped'),
    ]),
    'field-list.xlsx': (1, [
    ]),
    'flat_xlsform_test.xlsx': (18, [
        ('survey', 0, 'instanceName', 'changed'),
        ('survey', 3, 'email_note', 'changed'),
        ('survey', 7, 'invalid_variable', 'changed'),
        ('survey', 10, 'display_image_test', 'skipped'),
        ('survey', 30, 'acknowledge_test', 'skipped'),
        ('survey', 32, 'time_test', 'skipped'),
        ('survey', 33, 'datetime_test', 'skipped'),
        ('survey', 34, 'geopoint_test', 'skipped'),
        ('survey', 35, 'barcode_test', 'skipped'),
        ('survey', 36, 'image_test', 'skipped'),
        ('survey', 37, 'audio_test', 'skipped'),
        ('survey', 38, 'video_test', 'skipped'),
        ('survey', 39, 'note_test', 'changed'),
        ('survey', 40, 'calculate_test', 'changed'),
        ('survey', 41, 'calculate_test_output', 'changed'),
        ('survey', 43, 'start_test_output', 'changed'),
        ('survey', 45, 'end_test_output', 'changed'),
        ('survey', 47, 'today_test_output', 'changed'),
        ('survey', 48, 'deviceid', 'skipped'),
        ('survey', 49, 'deviceid_test_output', 'changed'),
        ('survey', 50, 'uri_deviceid', 'skipped'),
        ('survey', 51, 'uri_deviceid_test_output', 'changed'),
        ('survey', 52, 'simserial', 'skipped'),
        ('survey', 53, 'simserial_test_output', 'changed'),
        ('survey', 54, 'phonenumber', 'skipped'),
        ('survey', 55, 'phonenumber_test_output', 'changed'),
    ]),
    'gps.xls': (0, [
        ('survey', 0, '', 'skipped'),
        ('survey', 2, 'location', 'skipped'),
    ]),
    'group.csv': (2, [
        ('survey', 4, 'phone_number', 'skipped'),
    ]),
    'group.md': (2, [
        ('survey', 4, 'phone_number', 'skipped'),
    ]),
    'group.xlsx': (2, [
        ('survey', 4, 'phone_number', 'skipped'),
    ]),
    'hidden.xls': (0, [
        ('survey', 0, '', 'skipped'),
        ('survey', 2, 'hidden_test', 'skipped'),
    ]),
    'loop.xlsx': (1, [
        ('survey', 3, 'loop_toilet_types', 'skipped'),
        ('survey', 4, 'number', 'skipped'),
    ]),
    'odk-external-itemsets.xlsx': (1, [
        ('survey', 3, 'county', 'skipped'),
        ('survey', 4, 'city', 'skipped'),
    ]),
    'odk-pyxform-clean.xlsx': (2, [
    ]),
    'odk-pyxform-error.xlsx': (0, [
        ('survey', 2, '', 'skipped'),
    ]),
    'odk-pyxform-warning.xlsx': (2, [
    ]),
    'odk-validate-error.xlsx': (3, [
        ('survey', 4, 'concat', 'changed'),
    ]),
    'or_other.xlsx': (2, [
        ('survey', 3, 'fav_pastel', 'changed'),
    ]),
    'pull_data.xlsx': (0, [
        ('survey', 0, '', 'skipped'),
        ('survey', 2, 'fruit', 'changed'),
        ('survey', 3, 'note', 'skipped'),
        ('survey', 3, 'note_fruite', 'changed'),
    ]),
    'specify_other.xlsx': (1, [
    ]),
    'table-list.xls': (4, [
    ]),
    'text_and_integer.md': (2, [
    ]),
    'tutorial.xls': (0, [
        ('survey', 0, '', 'skipped'),
        ('survey', 2, 'member', 'skipped'),
        ('survey', 3, 'name', 'skipped'),
        ('survey', 4, 'relationship_to_household_head', 'skipped'),
        ('survey', 5, 'sex', 'skipped'),
        ('survey', 6, 'resident', 'skipped'),
        ('survey', 7, 'stayed_last_night', 'skipped'),
        ('survey', 8, 'older_than_five', 'skipped'),
        ('survey', 9, 'age_in_months', 'skipped'),
        ('survey', 10, 'age_in_years', 'skipped'),
        ('survey', 11, 'literate', 'skipped'),
        ('survey', 12, 'pregnant', 'skipped'),
    ]),
    'utf_csv.csv': (1, [
    ]),
    'widgets.xls': (21, [
        ('survey', 4, 'my_decimal', 'changed'),
        ('survey', 5, 'my_date', 'changed'),
        ('survey', 6, 'my_time', 'skipped'),
        ('survey', 7, 'my_select', 'changed'),
        ('survey', 8, 'my_select1', 'changed'),
        ('survey', 9, 'my_trigger', 'skipped'),
        ('survey', 10, 'my_output', 'changed'),
        ('survey', 11, 'my_geopoint', 'skipped'),
        ('survey', 12, 'my_barcode', 'skipped'),
        ('survey', 13, 'my_image', 'skipped'),
        ('survey', 14, 'my_audio', 'skipped'),
        ('survey', 15, 'my_video', 'skipped'),
        ('survey', 17, 'locationMap', 'skipped'),
        ('survey', 18, 'dateTime', 'skipped'),
    ]),
    'xlsform_spec_test.xlsx': (12, [
        ('survey', 0, 'instanceName', 'changed'),
        ('survey', 5, 'invalid_variable', 'changed'),
        ('survey', 7, 'email_note', 'changed'),
        ('survey', 10, 'display_image_test', 'skipped'),
        ('survey', 14, 'repeat_test_count', 'changed'),
        ('survey', 15, 'repeat_test', 'skipped'),
        ('survey', 17, 'required_text', 'skipped'),
        ('survey', 18, 'select_multiple_test', 'skipped'),
        ('survey', 22, 'list-nolabel-test', 'skipped'),
        ('survey', 25, 'table_list_question', 'skipped'),
        ('survey', 27, 'compact-test', 'skipped'),
        ('survey', 28, 'compact-2-test', 'skipped'),
        ('survey', 30, 'acknowledge_test', 'skipped'),
        ('survey', 32, 'time_test', 'skipped'),
        ('survey', 33, 'datetime_test', 'skipped'),
        ('survey', 34, 'geopoint_test', 'skipped'),
        ('survey', 35, 'barcode_test', 'skipped'),
        ('survey', 36, 'image_test', 'skipped'),
        ('survey', 37, 'audio_test', 'skipped'),
        ('survey', 38, 'video_test', 'skipped'),
        ('survey', 40, 'calculate_test', 'changed'),
        ('survey', 41, 'calculate_test_output', 'changed'),
        ('survey', 43, 'start_test_output', 'changed'),
        ('survey', 45, 'end_test_output', 'changed'),
        ('survey', 47, 'today_test_output', 'changed'),
        ('survey', 48, 'deviceid', 'skipped'),
        ('survey', 49, 'deviceid_test_output', 'changed'),
        ('survey', 50, 'uri_deviceid', 'skipped'),
        ('survey', 51, 'uri_deviceid_test_output', 'changed'),
        ('survey', 52, 'phonenumber', 'skipped'),
        ('survey', 53, 'phonenumber_test_output', 'changed'),
    ]),
    'yes_or_no_question.xlsx': (1, [
    ]),
}

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_form_imports_or_says_exactly_what_did_not_map(name):
    result = import_xlsform(FORMS / name)
    questions, lost = EXPECTED[name]
    assert result.imported == questions
    assert sorted({(i.sheet, i.row or 0, i.item or "", i.kind) for i in result.lost},
                  key=lambda x: (x[0], x[1], x[2])) == lost
    assert not result.problems  # what was produced validates as a questionnaire
    for issue in result.issues:  # located, in both languages, saying what to do
        assert str(issue).startswith(f"{name}:{issue.sheet}:")
        assert issue.zh and issue.en and issue.zh != issue.en
    if questions:
        assert result.questionnaire is not None and result.yaml_text
    else:
        assert result.questionnaire is None


def test_every_form_in_the_folder_is_covered():
    files = {p.name for p in FORMS.iterdir() if p.suffix in (".xlsx", ".xls", ".csv", ".md")
             and p.name != "README.md"}
    assert files == set(EXPECTED)
    assert sum(1 for q, lost in EXPECTED.values() if q and not lost) >= 8


def test_or_other_becomes_the_questions_own_other_box():
    result = import_xlsform(FORMS / "specify_other.xlsx")
    qn = result.questionnaire
    sex = qn.question("sex")
    assert [c.value for c in sex.choices] == ["male", "female", "other"]
    assert sex.other and sex.other_code == "other"
    # pyxform's English "Other" reads as Chinese on the Chinese form
    assert (sex.choices[-1].label.zh, sex.choices[-1].label.en) == \
        ("其他(请注明)", "Other (please specify)")
    assert [q.id for q in qn.questions] == ["sex"]  # no separate follow-up question
    assert any("sex_other" in i.en and "other: true" in i.en and i.kind == "note"
               for i in result.issues)
    toilets = import_xlsform(FORMS / "loop.xlsx").questionnaire.question(
        "available_toilet_types")  # select_multiple ... or_other
    assert toilets.type == "multiple_choice" and toilets.other


def test_chinese_and_english_labels_and_a_group_condition():
    result = import_xlsform(FORMS / "xlsform_spec_test.xlsx")
    qn = result.questionnaire
    address = qn.question("address")
    assert (address.label.zh, address.label.en) == ("您好", "Enter an address")
    # a yes/no list is a yes_no question here, and conditions on it become plain booleans
    assert qn.question("skip_to_end").type == "yes_no"
    assert qn.question("my_name").relevant.text == "not (skip_to_end)"
    assert qn.question("a_decimal").constraint.text == "a_decimal <= a_integer"


def test_a_static_choice_filter_is_applied_and_a_dynamic_one_reported(tmp_path):
    path = _form(tmp_path, [
        ["type", "name", "label", "choice_filter"],
        ["select_one colors", "pastel", "A pastel", "pastel = 'yes'"],
        ["select_one colors", "any", "Any colour", "${pastel} = name"],
    ], [["list_name", "name", "label", "pastel"], ["colors", "red", "Red", "no"],
        ["colors", "mauve", "Mauve", "yes"]])
    result = import_xlsform(path)
    assert [c.value for c in result.questionnaire.question("pastel").choices] == ["mauve"]
    [issue] = result.lost
    assert (issue.row, issue.item, issue.kind) == (3, "any", "changed")
    assert "choice_filter" in issue.en and "选项筛选" in issue.zh


def test_likert_list_required_constraint_range_and_calculate(tmp_path):
    path = _form(tmp_path, [
        ["type", "name", "label::Chinese (zh)", "label::English (en)", "required",
         "constraint", "constraint_message::Chinese (zh)", "relevant", "calculation"],
        ["integer", "meetings", "会议次数", "Meetings", "yes", ". >= 0 and . <= 300", "", "", ""],
        ["calculate", "busy", "", "", "", "", "", "", "${meetings} * 2"],
        ["integer", "hours", "会议小时", "Hours", "true()", ". <= ${busy}", "不能多于两倍",
         "${meetings} > 0", ""],
        ["select_one sat", "sat", "满意度", "Satisfaction", "", "", "", "", ""],
    ], [["list_name", "name", "label::Chinese (zh)"]] +
        [["sat", str(i), label] for i, label in enumerate("很差 差 一般 好 很好".split(), 1)])
    result = import_xlsform(path)
    assert not result.lost and not result.problems
    qn = result.questionnaire
    meetings, hours = qn.question("meetings"), qn.question("hours")
    assert meetings.required and (meetings.min, meetings.max) == (0, 300)
    assert hours.constraint.text == "hours <= (meetings * 2)"
    assert hours.constraint_message.zh == "不能多于两倍"
    assert hours.relevant.text == "meetings > 0"
    assert qn.question("sat").type == "likert"


def test_a_broken_form_is_refused_with_the_row(tmp_path):
    path = _form(tmp_path, [["type", "name", "label"], ["integer", "a", "A"],
                            ["select_one missing", "b", "B"]],
                 [["list_name", "name", "label"], ["other", "x", "X"]])
    result = import_xlsform(path)
    assert result.questionnaire is None
    [issue] = result.issues
    assert (issue.sheet, issue.row) == ("survey", 3)
    assert "missing" in issue.en and "XLSForm" in issue.zh


def test_not_an_xlsform():
    result = import_xlsform(b"hello", "notes.txt")
    assert result.questionnaire is None and "xlsx" in result.issues[0].en


def test_monthly_questionnaire_exports_to_an_xlsform_pyxform_converts_and_round_trips():
    qn, problems = parse_file(ROOT / "questionnaires" / "burden_monthly.yaml")
    data = to_xlsform(qn)
    assert check(data) == []
    back = import_xlsform(data, "burden_monthly.xlsx")
    assert back.lost == [] and back.problems == []
    again = back.questionnaire
    assert [q.id for q in again.questions] == [q.id for q in qn.questions]
    for original, imported in zip(qn.questions, again.questions):
        assert (original.min, original.max, original.required) == \
            (imported.min, imported.max, imported.required)
        if original.constraint:
            assert imported.constraint.text == original.constraint.text
        # the round trip gives the same question back: type (yes_no too), labels as typed
        # (Chinese quotes “”), the unit folded into the label back in its field, relevance
        assert (imported.type, imported.label, imported.hint, imported.unit) == \
            (original.type, original.label, original.hint, original.unit), original.id
        assert (imported.relevant and imported.relevant.text) == \
            (original.relevant and original.relevant.text), original.id
        assert [(c.value, c.label) for c in imported.choices] == \
            [(c.value, c.label) for c in original.choices], original.id
    assert again.question("trace_hours").relevant.text == "trace_demands"
    assert "“晒”" in again.question("chat_pressure").label.zh
    assert again.question("satisfaction").type == "likert"
    sheet = openpyxl.load_workbook(io.BytesIO(data))["survey"]
    header = [c.value for c in sheet[1]]
    assert "label::Chinese (zh)" in header and "label::English (en)" in header


def test_exported_text_that_looks_like_a_formula_stays_text(tmp_path):
    yaml_text = (ROOT / "questionnaires" / "burden_monthly.yaml").read_text(encoding="utf-8")
    yaml_text = yaml_text.replace('zh: "您所在的工作群有几个?"', 'zh: "=SUM(A1:A9)"')
    from survey.questionnaire import load
    data = to_xlsform(load(yaml_text, "x.yaml"))
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(data))["survey"].iter_rows()
             for c in row if str(c.value).startswith("=SUM(A1:A9)")]
    assert cells and all(c.data_type == "s" for c in cells)


def _form(tmp_path, survey, choices) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        choice_sheet = workbook.create_sheet("choices")
        for row in choices:
            choice_sheet.append(row)
    path = tmp_path / "form.xlsx"
    workbook.save(path)
    return path


def test_the_cli_writes_yaml_that_validates_and_strict_refuses_losses(tmp_path, capsys):
    from survey import cli
    out = tmp_path / "specify_other.yaml"
    assert cli.main(["import-xlsform", str(FORMS / "specify_other.xlsx"), "--out",
                     str(out)]) == 0
    assert cli.main(["validate", str(out)]) == 0
    strict = tmp_path / "widgets.yaml"
    assert cli.main(["import-xlsform", str(FORMS / "widgets.xls"), "--out", str(strict),
                     "--strict", "--lang", "zh"]) == 1
    assert not strict.exists()
    err = capsys.readouterr().err
    assert "widgets.xls:survey:11: “my_geopoint”(geopoint)未导入" in err
    exported = tmp_path / "bm.xlsx"
    assert cli.main(["export-xlsform", str(ROOT / "questionnaires" / "burden_monthly.yaml"),
                     "--out", str(exported)]) == 0
    assert check(exported.read_bytes()) == []


def _coded_form(tmp_path, relevant="${a1} = 2"):
    """A printed form's coded list (1..3) with or_other, and a skip on a code."""
    return _form(tmp_path, [
        ["type", "name", "label", "relevant"],
        ["select_one terrain or_other", "a1", "地形", ""],
        ["integer", "a2", "户数", relevant],
        ["integer", "a3", "其他地形的户数", "selected(${a1}, 'other')"],
    ], [["list_name", "name", "label"], ["terrain", "1", "山区"], ["terrain", "2", "丘陵"],
        ["terrain", "3", "平原"]])


def test_or_other_on_a_numbered_list_keeps_the_codes_numbers(tmp_path):
    result = import_xlsform(_coded_form(tmp_path))
    qn = result.questionnaire
    a1 = qn.question("a1")
    # pyxform's 'other' would have made every code text (a1 == '2'): it gets the next number
    assert [(c.value, c.numeric) for c in a1.choices] == [(str(i), True) for i in range(1, 5)]
    assert a1.other and a1.other_code == "4"
    assert qn.question("a2").relevant.text == "a1 == 2"
    assert qn.question("a3").relevant.text == "selected(a1, 4)"
    assert qn.question("a3").relevant.evaluate({"a1": 4}) is True
    [note] = [i for i in result.issues if i.item == "a1_other"]
    # the generated id is said to be what it is, and the code the choice got
    assert "text question 'a1_other' (which or_other adds)" in note.en and "code 4" in note.en
    assert "or_other 附带的“请注明”文字题“a1_other”" in note.zh


def test_a_converted_form_that_does_not_validate_points_at_the_xlsform_row(tmp_path):
    result = import_xlsform(_coded_form(tmp_path, relevant="${a1} = 7"))
    assert result.questionnaire is None
    [refusal] = result.lost
    assert (refusal.sheet, refusal.row, refusal.item, refusal.kind) == \
        ("survey", 3, "a2", "refused")
    assert refusal.text("zh").startswith("form.xlsx:survey:3: 转换后的问卷无法发布:Q126 ")
    assert ".yaml" not in refusal.en + refusal.zh


def test_yearly_and_one_off_periods(tmp_path):
    path = _coded_form(tmp_path)
    assert import_xlsform(path, period="year").questionnaire.period == "year"
    once = import_xlsform(path, period="once", opens=dt.date(2022, 6, 7),
                          closes=dt.date(2022, 7, 31)).questionnaire
    assert once.period.startswith("once") and periods.window(once.period) == \
        (dt.date(2022, 6, 7), dt.date(2022, 7, 31))


def test_the_cli_speaks_the_language_asked_for(tmp_path, capsys):
    from survey import cli
    path, out = _coded_form(tmp_path), tmp_path / "village.yaml"
    assert cli.main(["import-xlsform", str(path), "--period", "once", "--opens", "2022-06-07",
                     "--closes", "2022-07-31", "--out", str(out), "--lang", "zh"]) == 0
    said = capsys.readouterr()
    assert said.out.startswith(f"已写入 {out}:3 道题;0 项未能完整转换") and "wrote" not in said.out
    assert "[说明]" in said.err and "[note]" not in said.err
    assert "period: once\nopens: 2022-06-07\ncloses: 2022-07-31\n" in out.read_text("utf-8")
    assert cli.main(["validate", str(out)]) == 0
    assert cli.main(["import-xlsform", str(_coded_form(tmp_path, "${a1} = 7")),
                     "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert err.rstrip().endswith("未导入任何内容") and "nothing imported" not in err
    assert cli.main(["import-xlsform", str(path), "--period", "once", "--lang", "zh"]) == 2
    assert "需要 --opens 和 --closes" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["import-xlsform", str(path), "--period", "yearly", "--lang", "zh"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "错误:参数 --period 的取值 'yearly' 无效" in err
    assert "invalid choice" not in err
    with pytest.raises(SystemExit):
        cli.main(["import-xlsform", str(path), "--opens", "2022-13-01", "--lang", "en"])
    err = capsys.readouterr().err
    assert "'2022-13-01' is not a date YYYY-MM-DD" in err and "错误" not in err
