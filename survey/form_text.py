"""What the form says about itself, in the respondent's language (the light HTML form,
ui/light_form.py): the notice above a part and the one-line summary at the confirmation. Plain
text; `quote` marks up the values that came from questionnaires (the HTML form's templates
escape everything)."""

from __future__ import annotations

from survey.form_flow import FormFlow, short_name
from survey.i18n import t
from survey.questionnaire.model import Text


def notice(flow: FormFlow, lang: str, quote=lambda text: text) -> str:
    key, params = flow.notice
    values = {k: quote(v.get(lang)) if isinstance(v, Text) else v for k, v in params.items()}
    if key == "still_to_answer":
        values["questions"] = "、".join(quote(label.get(lang)) for label in params["questions"])
    if key == "draft_restored_short" and params.get("section") is None:
        key = "draft_restored_plain"  # restored at the confirmation
    return t(key, lang, **values)


def summary_line(flow: FormFlow, lang: str) -> str:
    summary = flow.summary()

    def names(ids) -> str:
        return "、".join(short_name(flow.questions[i], lang) for i in ids)
    if summary.period is None:
        line = t("summary_plain", lang, n=summary.answers)
    elif not summary.changed:
        line = t("summary_unchanged", lang, n=summary.answers, period=summary.period)
    else:
        line = t("summary_changed", lang, n=summary.answers, same=summary.same,
                 period=summary.period, k=len(summary.changed), names=names(summary.changed))
    if summary.new and summary.period is not None:
        line += " " + t("summary_new", lang, names=names(summary.new))
    return line
