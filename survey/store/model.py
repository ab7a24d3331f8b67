"""The store's records and the errors its modules raise (shared by every module)."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt

from survey.store.engine import StoreError

def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class CodeError(StoreError):
    """A respondent code that cannot be used; `reason` is format, unknown, revoked or inactive."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class PublishRefused(StoreError):
    pass


class PeriodClosed(StoreError):
    pass


class AlreadySubmitted(StoreError):
    """A one-time answer (a public rating) was already given for this period."""


class InvalidAnswers(StoreError):
    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{qid}: {msg.en}" for qid, msg in errors.items()),
                         ";".join(f"{qid}:{msg.zh}" for qid, msg in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Point:
    point_id: str
    name: str
    level: str
    kind: str
    region: tuple[str, ...]
    active: bool = True
    is_demo: bool = False


@dataclass(frozen=True)
class Respondent:
    key: str
    point: Point


@dataclass(frozen=True)
class Receipt:
    submission_id: str
    submitted_at: dt.datetime
    period_key: str
    revision: int
    questionnaire_id: str
    version: int


@dataclass(frozen=True)
class Draft:
    answers: dict
    started_at: dt.datetime
    updated_at: dt.datetime
    version: int


def _receipt(row) -> Receipt:
    return Receipt(*row)


def _point(row) -> Point:
    pid, name, level, kind, region, active, is_demo = row
    return Point(pid, name, level, kind, tuple(region or ()), active, is_demo)
