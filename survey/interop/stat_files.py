"""SPSS (.sav) and Stata (.dta) files of the analysts' views, with variable and value labels.

One file per questionnaire: one row per kept submission (the `submissions` view) and one
variable per question (from the `answers` view), pivoted by DuckDB in one query
(survey.store.stat_pivot) and streamed in batches. Variable labels are the question texts, value labels the choice labels, in Chinese or
English. Coding, the same in both formats:

- integer / decimal: the number;
- single choice and Likert: the code when codes are whole numbers (1 = 很不满意 …), otherwise
  1..n in the order of the choices, labelled with the choice;
- yes / no: 1 = 是, 0 = 否;  multiple choice: one 0/1 variable per choice (question_code);
- a choice question with `other: true`: also the text typed for "other" (question_other);
- matrix: one variable per row (question_row);  date: a date;  text: verbatim.

pyreadstat (ReadStat) writes whole data frames, so large exports are split into parts of
PART_ROWS rows (`burden_monthly.sav`, `burden_monthly_part2.sav`, ...), each complete with labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from survey import periods
from survey.questionnaire import Questionnaire
from survey.store import stat_pivot

FORMATS = ("sav", "dta")
PART_ROWS = 500_000
BATCH_ROWS = 100_000
STATA_LABEL = 80  # characters in a Stata variable label
_STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int",
                   "long", "_n", "_pi", "_pred", "_rc", "_se", "strl", "using", "with", "_n"}
_SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to",
                  "with"}
_FIXED = (  # (column of the submissions view, zh label, en label)
    ("submission_id", "提交编号", "Submission id"),
    ("point_id", "监测点编号", "Monitoring point id"),
    ("questionnaire_version", "问卷版本", "Questionnaire version"),
    ("period_key", "期次", "Period"),
    ("period_start", "期次开始日期", "First day of the period"),
    ("respondent_key", "填报人(匿名)", "Respondent (pseudonym)"),
    ("revision", "修改次数", "Revision"),
    ("is_demo", "演示数据", "Demo data"),
    ("submitted_at", "提交时间", "Submitted at"),
)
_FIXED_KINDS = {"submission_id": "str", "point_id": "str", "period_key": "str",
                "period_start": "date", "respondent_key": "str", "submitted_at": "datetime"}
YES_NO = {"zh": {1: "是", 0: "否"}, "en": {1: "Yes", 0: "No"}}
PICKED = {"zh": {1: "已选", 0: "未选"}, "en": {1: "Selected", 0: "Not selected"}}


@dataclass
class Variable:
    name: str
    # where the value comes from (survey.store.stat_pivot turns it into SQL):
    # ("column", name) of the submission, ("num"|"bool"|"date"|"text"|"other", question),
    # ("flag", question, code), ("code", question, row or None, {code: value})
    source: tuple
    label: str
    value_labels: dict | None = None
    kind: str = "num"  # num | str | date | datetime


def variables(versions: list[Questionnaire], lang: str, fmt: str) -> list[Variable]:
    """The variables for these versions (newest first decides order and texts)."""
    taken: set[str] = set()
    out = [Variable(_name(v, taken, fmt), ("column", v), zh if lang == "zh" else en,
                    YES_NO[lang] if v == "is_demo" else None, kind=_FIXED_KINDS.get(v, "num"))
           for v, zh, en in _FIXED]
    seen: set[str] = set()
    for qn in sorted(versions, key=lambda q: -q.version):
        for q in qn.questions:
            if q.id in seen:
                continue
            seen.add(q.id)
            out.extend(_question_variables(q, [v for v in versions if _has(v, q.id)], lang, fmt,
                                           taken))
    return out


def _has(qn: Questionnaire, qid: str) -> bool:
    return any(q.id == qid for q in qn.questions)


def _question_variables(q, versions, lang, fmt, taken) -> list[Variable]:
    label = q.label.get(lang)
    simple = {"integer": ("num", "num"), "decimal": ("num", "num"), "yes_no": ("bool", "num"),
              "date": ("date", "date"), "short_text": ("text", "str"),
              "long_text": ("text", "str")}
    if q.type in simple:
        source, kind = simple[q.type]
        return [Variable(_name(q.id, taken, fmt), (source, q.id), label,
                         YES_NO[lang] if q.type == "yes_no" else None, kind)]
    choices = _union_choices(q, versions)
    codes = [c.value for c in choices]
    with_other = [v.question(q.id) for v in versions if v.question(q.id).other]
    other = [Variable(_name(f"{q.id}_other", taken, fmt), ("other", q.id),
                      f"{label}: {with_other[0].other_choice.label.get(lang)}", None, "str")] \
        if with_other else []
    if q.type == "multiple_choice":
        return [Variable(_name(f"{q.id}_{code}", taken, fmt), ("flag", q.id, code),
                         f"{label}: {c.label.get(lang)}", PICKED[lang])
                for code, c in zip(codes, choices)] + other
    numeric = all(re.fullmatch(r"-?\d{1,9}", c) for c in codes)
    values = [int(c) for c in codes] if numeric else list(range(1, len(codes) + 1))
    labels = {v: c.label.get(lang) for v, c in zip(values, choices)}
    mapping = dict(zip(codes, values))
    if q.type == "matrix":
        return [Variable(_name(f"{q.id}_{r.id}", taken, fmt), ("code", q.id, r.id, mapping),
                         f"{label}: {r.label.get(lang)}", labels) for r in q.rows]
    return [Variable(_name(q.id, taken, fmt), ("code", q.id, None, mapping), label, labels)] \
        + other


def _union_choices(q, versions) -> list:
    """The choices over all versions that ask q (newest first; codes are stable)."""
    out, seen = [], set()
    for qn in sorted(versions, key=lambda v: -v.version):
        for c in qn.question(q.id).choices:
            if c.value not in seen:
                seen.add(c.value)
                out.append(c)
    return out or list(q.choices)


def _name(wanted: str, taken: set[str], fmt: str) -> str:
    """A variable name both SPSS and Stata accept (32 characters, letters, digits, _)."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", wanted)[:32] or "v"
    if not base[0].isalpha():
        base = ("v" + base)[:32]
    if base.lower() in _STATA_RESERVED | _SPSS_RESERVED:
        base = base[:30] + "_v"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f"_{n}"
        name = base[:32 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def export(con, questionnaire_for: Callable[[str, int], Questionnaire], questionnaire_id: str,
           fmt: str, out_dir: Path, lang: str = "zh", first: str | None = None,
           last: str | None = None, part_rows: int = PART_ROWS) -> list[tuple[Path, int]]:
    """Write questionnaire_id's submissions as .sav or .dta (in parts); [(file, rows)]."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for part, (frame, meta) in enumerate(frames(con, questionnaire_for, questionnaire_id, fmt,
                                                lang, first, last, part_rows), start=1):
        path = out_dir / (f"{questionnaire_id}.{fmt}" if part == 1
                          else f"{questionnaire_id}_part{part}.{fmt}")
        write(frame, meta, fmt, path)
        written.append((path, len(frame)))
    return written


def frames(con, questionnaire_for, questionnaire_id, fmt, lang, first=None, last=None,
           part_rows: int = PART_ROWS) -> Iterator[tuple[pd.DataFrame, list[Variable]]]:
    """Data frames of at most part_rows rows (at least one, possibly empty), with variables."""
    versions = [questionnaire_for(questionnaire_id, v)
                for v in stat_pivot.versions(con, questionnaire_id)]
    if not versions:
        raise ValueError(f"there are no submissions of '{questionnaire_id}' to export")
    spec = variables(versions, lang, fmt)
    keys = None
    if first or last:
        keys = [key for key in stat_pivot.period_keys(con, questionnaire_id)
                if periods.in_months(key, versions[-1].period, first, last)]
    reader = stat_pivot.reader(con, questionnaire_id, [(v.name, v.source) for v in spec],
                               keys, batch_rows=BATCH_ROWS)
    pending: list[pd.DataFrame] = []
    size, yielded = 0, False
    for batch in reader:
        pending.append(batch.to_pandas())
        size += batch.num_rows
        while size >= part_rows:
            whole = pd.concat(pending, ignore_index=True)
            yield _typed(whole.iloc[:part_rows].reset_index(drop=True), spec), spec
            yielded = True
            rest = whole.iloc[part_rows:].reset_index(drop=True)
            pending, size = ([rest] if len(rest) else []), len(rest)
    if pending or not yielded:
        whole = (pd.concat(pending, ignore_index=True) if pending
                 else pd.DataFrame({v.name: [] for v in spec}))
        yield _typed(whole, spec), spec


def _typed(frame: pd.DataFrame, spec: list[Variable]) -> pd.DataFrame:
    """Column types ReadStat writes well: numbers as float, texts as str, dates as dates."""
    for v in spec:
        column = frame[v.name]
        if v.kind == "date":
            frame[v.name] = [None if pd.isna(x) else pd.Timestamp(x).date() for x in column]
        elif v.kind == "datetime":
            frame[v.name] = pd.to_datetime(column)
        elif v.kind == "str":
            frame[v.name] = [("" if x is None or x is pd.NA or (isinstance(x, float) and x != x)
                              else str(x)) for x in column]
        else:
            frame[v.name] = pd.to_numeric(column, errors="coerce").astype("float64")
    return frame


def write(frame: pd.DataFrame, spec: list[Variable], fmt: str, path: Path) -> None:
    import pyreadstat
    labels = [v.label if fmt == "sav" else v.label[:STATA_LABEL] for v in spec]
    value_labels = {v.name: v.value_labels for v in spec if v.value_labels}
    if fmt == "sav":
        pyreadstat.write_sav(frame, str(path), column_labels=labels,
                             variable_value_labels=value_labels)
    else:
        pyreadstat.write_dta(frame, str(path), column_labels=labels,
                             variable_value_labels=value_labels, version=15)


def file_bytes(con, questionnaire_for, questionnaire_id: str, fmt: str, lang: str) -> bytes:
    """One file in memory for a download (the workbench): all rows in one part."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        [(path, _rows)] = export(con, questionnaire_for, questionnaire_id, fmt, Path(tmp), lang,
                                 part_rows=10**12)
        return path.read_bytes()
