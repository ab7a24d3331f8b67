"""The form's own burden: the platform measures burden, so it answers for the burden it puts on
cadres (指尖上的形式主义 is what the 2024 rules forbid). Shown to admins on the questionnaires
page and to leaders in the briefing."""

from __future__ import annotations

from dataclasses import dataclass

from survey.store import forms

TARGET_MEDIAN_S = 120.0  # the default monthly form: median under 2 minutes


@dataclass(frozen=True)
class FormBurden:
    """One questionnaire version in one period, over first submissions (revisions left out)."""

    questionnaire_id: str
    version: int
    period_key: str
    submissions: int
    median_s: float | None            # completion time: opening the form -> submitting
    p90_s: float | None
    recorded: int                     # submissions with a fill record (since migration 010)
    items_asked: float | None         # median questions asked (relevance applied)
    unchanged_share: float | None     # of recorded: confirmed "nothing changed", no edit
    soft_checks: int                  # soft plausibility checks asked
    soft_confirmed_share: float | None  # of those: kept on confirmation (the rest corrected)

    @property
    def meets_target(self) -> bool | None:
        """Median under TARGET_MEDIAN_S (None without timings)."""
        return None if self.median_s is None else self.median_s < TARGET_MEDIAN_S


def form_burden(store, questionnaire_id: str | None = None,
                include_demo: bool = True) -> list[FormBurden]:
    """Per questionnaire version and period (newest period first): median and p90 completion
    time in seconds, items asked, share of submissions confirmed unchanged, share of soft
    checks confirmed. `store` is a survey.store.Store; `questionnaire_id` limits to one
    questionnaire (e.g. "burden_monthly"); demo data is included unless include_demo=False.
    Shares are None where nothing was recorded (submissions made before the fill records)."""
    result = []
    for (qid, version, period, n, median, p90, recorded, items, unchanged, checks,
         confirmed) in forms.burden_rows(store, questionnaire_id, include_demo):
        result.append(FormBurden(
            qid, version, period, n, median, p90, recorded,
            None if items is None else float(items),
            unchanged / recorded if recorded else None, int(checks),
            confirmed / checks if checks else None))
    return result
