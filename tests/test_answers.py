from survey import answers as rules
from tests.conftest import complete_answers


def test_complete_answers_are_valid(monthly):
    assert rules.validate(monthly, complete_answers()) == {}


def test_relevance_hides_follow_up_questions(monthly):
    answers = complete_answers(trace_demands=False, forms=0, duplicate_forms=None)
    shown = rules.visibility(monthly, answers)
    assert shown["trace_hours"] is False and shown["duplicate_forms"] is False
    assert rules.validate(monthly, answers) == {}  # hidden required questions are not required
    assert "trace_hours" not in rules.clean(monthly, answers)  # and not stored


def test_constraint_duplicate_forms_not_more_than_forms(monthly):
    errors = rules.validate(monthly, complete_answers(forms=3, duplicate_forms=5))
    assert errors["duplicate_forms"].zh == "不能多于本月填报总数。"
    assert "Cannot exceed" in errors["duplicate_forms"].en


def test_range_step_and_required(monthly):
    errors = rules.validate(monthly, complete_answers(meeting_hours=95, form_hours=2.3,
                                                     meetings=None, apps=-1))
    assert errors["meeting_hours"].en == "Must be at most 80."
    assert errors["form_hours"].en == "Please use steps of 0.5."
    assert errors["meetings"] is rules.REQUIRED
    assert errors["apps"].en == "Must be at least 0."


def test_choice_answers_must_be_offered_codes(monthly):
    errors = rules.validate(monthly, complete_answers(satisfaction="9"))
    assert "satisfaction" in errors


def test_text_is_limited_but_kept_verbatim(monthly):
    text = "<script>alert(1)</script>'; DROP TABLE answer; --"
    answers = complete_answers(one_cut=text)
    assert rules.validate(monthly, answers) == {}
    assert rules.clean(monthly, answers)["one_cut"] == text
    assert "one_cut" in rules.validate(monthly, complete_answers(one_cut="长" * 501))


def test_carry_forward_only_marked_questions_and_still_valid_values(monthly):
    previous = complete_answers(meeting_hours=200.0)  # out of range in this version
    carried = rules.carried_forward(monthly, previous)
    assert carried["documents"] == 40 and carried["apps"] == 6
    assert carried["satisfaction"] == "4" and carried["trace_demands"] is True
    assert "burden_change" not in carried  # relative to last period: an unchanged month implies 3
    assert monthly.question("burden_change").unchanged == "3"
    assert "meeting_hours" not in carried


def test_progress_counts_only_asked_questions(monthly):
    answered, asked = rules.progress(monthly, {"forms": 0, "trace_demands": False})
    assert answered == 2
    hidden = {"documents_action", "duplicate_forms", "inspection_hours", "trace_hours",
              "chat_pressure"}  # their gate questions are unanswered, zero or "no"
    shown = rules.visibility(monthly, {"forms": 0, "trace_demands": False})
    assert {qid for qid, visible in shown.items() if not visible} == hidden
    assert asked == len(monthly.questions) - len(hidden)


def test_numbers_from_a_field_are_never_rounded_and_empty_is_unanswered(monthly):
    documents, hours = monthly.question("documents"), monthly.question("meeting_hours")
    assert rules.from_input(documents, 40.0) == 40 and isinstance(rules.from_input(documents, 40.0), int)
    assert rules.from_input(documents, 3.7) == 3.7  # kept as typed ...
    errors = rules.validate(monthly, complete_answers(documents=rules.from_input(documents, 3.7)))
    assert errors["documents"].zh == "请输入整数。"  # ... and refused with a message
    assert rules.from_input(documents, None) is None
    assert rules.validate(monthly, complete_answers(documents=None))["documents"] is rules.REQUIRED
    assert rules.from_input(hours, 6.5) == 6.5
