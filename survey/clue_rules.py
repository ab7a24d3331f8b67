"""Problem clues (线索) and the problem list (问题清单): categories, the workflow, grouping.

Pure rules; the SQL lives in survey.store.clues."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from survey.errors import DomainError

CATEGORIES = {
    "meetings_documents": ("文山会海", "Too many documents and meetings"),
    "inspections": ("督检考过多过频", "Too many inspections and assessments"),
    "traces": ("过度留痕", "Demands to leave traces"),
    "digital": ("指尖上的形式主义", "Apps and chat groups (formalism at the fingertips)"),
    "duties_without_powers": ("权责下放不规范", "Duties pushed down without powers"),
    "plaques": ("滥挂牌", "Excess plaques"),
    "escalation": ("层层加码", "Demands raised at every level"),
    "other": ("其他", "Other"),
}
BODY_LEVELS = {
    "province": ("省级", "Province"), "prefecture": ("市级", "Prefecture"),
    "county": ("县级", "County"), "township": ("乡镇/街道", "Township"),
    "other": ("其他", "Other"),
}
STATUSES = {
    "new": ("新线索", "New"), "verifying": ("核查中", "Verifying"),
    "rectifying": ("整改中", "Rectifying"), "closed": ("已销号", "Closed"),
    "dismissed": ("不予受理", "Dismissed"),
}
# Allowed moves: forward one step at a time; dismissed with a reason before rectification ends.
TRANSITIONS = {
    "new": ("verifying", "dismissed"),
    "verifying": ("rectifying", "dismissed"),
    "rectifying": ("closed",),
    "closed": (),
    "dismissed": (),
}
OPEN_STATUSES = ("new", "verifying", "rectifying")
MAX_DESCRIPTION = 2000
MAX_BODY_NAME = 100


class WorkflowError(DomainError, ValueError):
    pass


def check_transition(current: str, target: str, note: str) -> None:
    if target not in TRANSITIONS.get(current, ()):
        steps = TRANSITIONS.get(current, ())
        raise WorkflowError(
            f"a problem that is '{current}' cannot become '{target}'; next steps: "
            f"{', '.join(steps) or 'none (it is finished)'}",
            f"“{label(STATUSES, current, 'zh')}”的问题不能改为“{label(STATUSES, target, 'zh')}”;"
            f"可选的下一步:{'、'.join(label(STATUSES, s, 'zh') for s in steps) or '无(已办结)'}")
    if not note or not note.strip():
        what = "the reason for dismissing it" if target == "dismissed" else "what was done"
        raise WorkflowError(f"write a note with {what}: every step needs one",
                            "请填写" + ("不予受理的理由" if target == "dismissed" else "处理情况")
                            + ",每一步都需要说明。")


def normalise_body(name: str) -> str:
    """The issuing body as a grouping key: width-normalised, no spaces or punctuation, lower
    case, so 县 农业农村局 and 县农业农村局。 are the same body."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    return re.sub(r"[\s\W_]+", "", text)


def group_key(region: tuple[str, ...], category: str, body_level: str, body_name: str) -> str:
    county = "/".join(region[:2])
    return f"{county}|{category}|{body_level}|{normalise_body(body_name)}"


def label(table: dict, code: str, lang: str) -> str:
    zh, en = table.get(code, (code, code))
    return en if lang == "en" else zh


def median_days_to_close(problems: pd.DataFrame) -> pd.DataFrame:
    """Per kind of problem, the median days from first report to closing (closed ones only)."""
    closed = problems[problems["days_to_close"].notna()]
    return closed.groupby("category")["days_to_close"].median().reset_index()
