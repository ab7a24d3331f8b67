"""The leaders' YAML definitions: early-warning rules and the burden index.

Like questionnaires, a problem is reported as file:line:col and never stops the app: a broken
rule is skipped and shown on the warnings page.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, replace
from pathlib import Path

from survey.config import PROJECT_ROOT
from survey.indicators import INDICATORS
from survey.questionnaire import yamlsrc
from survey.questionnaire.model import Text
from survey.questionnaire.validate import Problem

CONFIG_DIR = PROJECT_ROOT / "config"
RULE_KINDS = ("yoy_rise", "above_baseline", "informal_shift")
RULE_KEYS = {
    "yoy_rise": ("id", "kind", "title", "indicators", "window"),
    "above_baseline": ("id", "kind", "title", "indicators", "policy_date", "baseline_months",
                       "window", "threshold"),
    "informal_shift": ("id", "kind", "title", "formal", "informal", "window"),
}
WINDOWS = {"yoy_rise": 2, "above_baseline": 3, "informal_shift": 3}  # default months tested
# Keys of the rules before warnings had a false-alarm rate (issue 28): said so, not just unknown.
RETIRED_KEYS = ("periods", "min_increase", "threshold")
FALSE_ALARM = 0.04  # default: share of unchanged points warned in a month, at most


@dataclass(frozen=True)
class WarningRule:
    id: str
    kind: str
    title: Text
    indicators: tuple[str, ...] = ()
    threshold: float = 0.0  # above_baseline: back at baseline x (1 + threshold)
    policy_date: dt.date | None = None
    baseline_months: int = 6
    window: int = 3  # the latest months tested together
    formal: str | None = None
    # The chance that this rule fires on one indicator of a point that did not change, in a
    # given month: the configured false_alarm split over every rule x indicator (load_rules).
    alpha: float = FALSE_ALARM / 12

    def describe(self, lang: str) -> str:
        return self.title.get(lang)


@dataclass(frozen=True)
class IndexDefinition:
    title: Text
    description: Text
    components: tuple[tuple[str, float], ...]  # (indicator, weight)
    first_months: int | None = 6
    baseline_from: str | None = None  # month keys, when given explicitly
    baseline_to: str | None = None


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        self.doc, found = yamlsrc.load(text) if text else (None, [])
        if not text:
            self.problems.append(Problem(str(path), 1, 1, "C001", "the file is missing or empty"))
        self.problems += [Problem(str(path), p.loc.line, p.loc.col, p.code, p.message) for p in found]

    def err(self, where, message: str, code: str = "C002") -> None:
        loc = self.doc.loc(where)
        self.problems.append(Problem(str(self.path), loc.line, loc.col, code, message))

    def text(self, value, where, what) -> Text | None:
        if isinstance(value, str) and value.strip():
            return Text(value)
        if isinstance(value, dict) and isinstance(value.get("zh"), str):
            return Text(value["zh"], value.get("en") or "")
        self.err(where, f"{what} needs Chinese text (zh:)")
        return None

    def indicator(self, value, where) -> str | None:
        if value in INDICATORS:
            return value
        close = difflib.get_close_matches(str(value), INDICATORS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.err(where, f"unknown indicator '{value}'{hint}")
        return None

    def number(self, value, where, what, default, whole=False, minimum=0):
        if value is None:
            return default
        ok = isinstance(value, int if whole else (int, float)) and not isinstance(value, bool)
        if not ok or value < minimum:
            kind = "a whole number" if whole else "a number"
            self.err(where, f"{what} must be {kind} >= {minimum}, not {value!r}")
            return default
        return value


def load_rules(path: Path = CONFIG_DIR / "warnings.yaml") -> tuple[list[WarningRule], list[Problem]]:
    reader = _Reader(path)
    if reader.doc is None or reader.problems:
        return [], reader.problems
    data = reader.doc.data
    items = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(items, list):
        reader.err((), "the file needs a list under rules:")
        return [], reader.problems
    rate = data.get("false_alarm", FALSE_ALARM)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 0.5:
        reader.err(("false_alarm",), f"false_alarm must be a share between 0 and 0.5 (0.04: "
                   f"at most 4% of points that did not change are warned in a month), "
                   f"not {rate!r}")
        rate = FALSE_ALARM
    rules, seen = [], set()
    for i, item in enumerate(items):
        where = ("rules", i)
        before = len(reader.problems)
        rule = _rule(reader, item, where, seen)
        if rule and len(reader.problems) == before:
            rules.append(rule)
    tests = sum(len(rule.indicators) for rule in rules)
    return [replace(rule, alpha=rate / max(tests, 1)) for rule in rules], reader.problems


def _rule(reader: _Reader, item, where, seen: set) -> WarningRule | None:
    if not isinstance(item, dict):
        reader.err(where, "each rule is a mapping with id:, kind: and title:")
        return None
    kind = item.get("kind")
    if kind not in RULE_KINDS:
        reader.err(where + ("kind",), f"unknown rule kind '{kind}'; use one of {', '.join(RULE_KINDS)}")
        return None
    for key in item:
        if key in RETIRED_KEYS and key not in RULE_KEYS[kind]:
            reader.err(where + (key,), f"'{key}' is no longer used: a warning fires when the "
                       f"rise is beyond what chance gives at the false-alarm rate "
                       f"(false_alarm:, docs/leaders.md); remove it")
        elif key not in RULE_KEYS[kind]:
            reader.err(where + (key,), f"'{key}' does not apply to a {kind} rule")
    rid = item.get("id")
    if not isinstance(rid, str) or rid in seen:
        reader.err(where + ("id",), f"each rule needs its own id (got {rid!r})")
        return None
    seen.add(rid)
    title = reader.text(item.get("title"), where + ("title",), "title")
    names = item.get("informal") if kind == "informal_shift" else item.get("indicators")
    key = "informal" if kind == "informal_shift" else "indicators"
    if not isinstance(names, list) or not names:
        reader.err(where + (key,), f"{key} must be a non-empty list of indicators")
        names = []
    indicators = tuple(filter(None, (reader.indicator(n, where + (key, j))
                                     for j, n in enumerate(names))))
    formal = reader.indicator(item.get("formal"), where + ("formal",)) \
        if kind == "informal_shift" else None
    policy = None
    if kind == "above_baseline":
        raw = item.get("policy_date")
        try:
            policy = dt.date.fromisoformat(str(raw))
        except ValueError:
            reader.err(where + ("policy_date",), f"policy_date must be a date like 2025-07-01, "
                       f"not {raw!r}")
    window = reader.number(item.get("window"), where + ("window",), "window", WINDOWS[kind],
                           True, 1)
    if window > 6:
        reader.err(where + ("window",), f"window must be at most 6 months (it is compared "
                   f"with the same months a year before), not {window}")
    return WarningRule(
        id=rid, kind=kind, title=title or Text(rid), indicators=indicators,
        threshold=reader.number(item.get("threshold"), where + ("threshold",), "threshold", 0.0)
        if kind == "above_baseline" else 0.0,
        policy_date=policy,
        baseline_months=reader.number(item.get("baseline_months"), where + ("baseline_months",),
                                      "baseline_months", 6, True, 1),
        window=min(window, 6), formal=formal)


def load_index(path: Path = CONFIG_DIR / "burden_index.yaml"
               ) -> tuple[IndexDefinition | None, list[Problem]]:
    reader = _Reader(path)
    if reader.doc is None or reader.problems:
        return None, reader.problems
    data = reader.doc.data if isinstance(reader.doc.data, dict) else {}
    title = reader.text(data.get("title"), ("title",), "title")
    description = reader.text(data.get("description"), ("description",), "description")
    components = []
    for i, item in enumerate(data.get("components") or []):
        if not isinstance(item, dict):
            reader.err(("components", i), "each component is {indicator: ..., weight: ...}")
            continue
        indicator = reader.indicator(item.get("indicator"), ("components", i, "indicator"))
        weight = reader.number(item.get("weight"), ("components", i, "weight"), "weight", None)
        if indicator and weight:
            components.append((indicator, float(weight)))
    if not components:
        reader.err(("components",), "the index needs at least one component with a weight > 0")
    baseline = data.get("baseline") or {}
    first = baseline.get("first_months") if isinstance(baseline, dict) else None
    start, end = (baseline.get("from"), baseline.get("to")) if isinstance(baseline, dict) else (None, None)
    if first is None and not (start and end):
        reader.err(("baseline",), "baseline needs first_months: N, or from: and to: month keys")
    if reader.problems:
        return None, reader.problems
    return IndexDefinition(title, description, tuple(components),
                           first_months=first, baseline_from=str(start) if start else None,
                           baseline_to=str(end) if end else None), []
