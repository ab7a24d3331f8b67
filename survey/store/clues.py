"""SQL for problem clues and the problem list (see survey.clue_rules for the rules)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

import pandas as pd

from survey import clue_rules as rules
from survey import codes, fields
from survey.metrics import Filter
from survey.store.core import Store, StoreError, _now
from survey.store.engine import lock_keys, refuse

RECEIPT_PREFIX = "XS"
# Reports about one body must find each other. Across app servers (PostgreSQL) an advisory lock
# on the body's group key orders them; lock_keys is a no-op in the DuckDB file, whose one
# process files reports one at a time under this lock (they are rare; no throughput lost).
_FILING = threading.Lock()


def _receipt_hash(store: Store, receipt: str) -> str:
    raw = receipt.strip().upper().replace(" ", "")
    return hmac.new(store.code_key, b"clue:" + raw.encode(), hashlib.sha256).hexdigest()[:32]


def new_receipt() -> str:
    raw = "".join(secrets.choice(codes.ALPHABET) for _ in range(8))
    return f"{RECEIPT_PREFIX}-{raw[:4]}-{raw[4:]}"


def report(store: Store, point_id: str, via: str, category: str, body_level: str,
           body_name: str, happened: str | None, description: str) -> str:
    """File a clue; returns the receipt code (shown once; only its keyed hash is stored)."""
    point = store.point(point_id)
    if point is None or not point.active:
        raise StoreError("this monitoring point does not take reports", "该监测点不接受问题反映。")
    if category not in rules.CATEGORIES or body_level not in rules.BODY_LEVELS:
        raise StoreError("choose a category and the level of the body", "请选择问题类型和单位层级。")
    if not body_name.strip() or not description.strip():
        raise StoreError("name the body that caused it and describe what happened",
                         "请填写涉及的单位,并说明发生了什么。")
    if len(body_name) > rules.MAX_BODY_NAME:
        raise StoreError(f"the name of the body is longer than {rules.MAX_BODY_NAME} characters",
                         f"单位名称超过 {rules.MAX_BODY_NAME} 字,请只写单位名称。")
    if len(description) > rules.MAX_DESCRIPTION:
        raise StoreError(f"the description is longer than {rules.MAX_DESCRIPTION} characters",
                         f"情况说明超过 {rules.MAX_DESCRIPTION} 字,请精简。")
    refuse(fields.month_problem(happened))
    now = _now()

    def work(cur):
        # drawn inside the transaction: a receipt that happens to exist already (its hash is
        # unique) fails the insert, and the retry draws another
        receipt = new_receipt()
        _file(cur, point.region, category, body_level, body_name, point_id, via, happened,
              description, _receipt_hash(store, receipt), now)
        return receipt
    return _filing(store, work)


def _filing(store: Store, work):
    if store.dialect != "duckdb":
        return store._write(work)
    with _FILING:
        return store._write(work)


def _file(cur, region, category: str, body_level: str, body_name: str, point_id: str, via: str,
          happened: str | None, description: str, receipt_hash: str, now) -> str:
    """One clue, joined to the open problem about the same body and kind in the county, or
    opening one; returns the problem's id."""
    key = rules.group_key(tuple(region), category, body_level, body_name)
    # two app servers filing about the same body at once make one problem, not two
    lock_keys(cur, ["problem-group:" + key])
    found = cur.execute("SELECT problem_id FROM problem WHERE group_key = ? AND status IN "
                        "('new', 'verifying', 'rectifying') ORDER BY created_at DESC LIMIT 1",
                        [key]).fetchone()
    if found:
        problem_id = found[0]
        cur.execute("UPDATE problem SET updated_at = ? WHERE problem_id = ?", [now, problem_id])
    else:
        problem_id = "WT-" + secrets.token_hex(4).upper()
        cur.execute("INSERT INTO problem VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, NULL)",
                    [problem_id, key, category, body_level, body_name.strip(),
                     list(region[:2]), now, now])
    cur.execute("INSERT INTO clue VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ["XS" + secrets.token_hex(6).upper(), problem_id, receipt_hash,
                 point_id, via, category, body_level, body_name.strip(), happened,
                 description, now])
    return problem_id


def file_finding(store: Store, region: tuple[str, ...], category: str, body_level: str,
                 body_name: str, month: str | None, description: str, actor: str,
                 then=None) -> tuple[str, object]:
    """A leader's finding (an off-plan inspection, a body's rising burden) as a report in
    the problem list: it joins the open problem about the same body and kind in the county,
    or opens one (via 'finding', no point: findings come from areas, never from a point).
    `then(cur, problem_id)` runs in the same transaction (the 提示函); returns
    (problem_id, what then returned)."""
    def work(cur):
        problem_id = _file(cur, region, category, body_level, body_name, "", "finding", month,
                           description, "finding:" + secrets.token_hex(16), _now())
        store._audit(cur, actor, "problem_from_finding", problem_id,
                     {"body": body_name, "category": category, "month": month})
        return problem_id, then(cur, problem_id) if then else None
    return _filing(store, work)


def status(store: Store, receipt: str) -> dict | None:
    """What a reporter may see with their receipt: the problem's status and its steps (dates
    and statuses, not the officials' notes), and how many others reported the same."""
    row = store._rows("SELECT p.problem_id, p.status, p.category, p.created_at, c.reported_at, "
                      "(SELECT count(*) FROM clue x WHERE x.problem_id = p.problem_id) "
                      "FROM clue c JOIN problem p USING (problem_id) WHERE c.receipt_hash = ?",
                      [_receipt_hash(store, receipt)])
    if not row:
        return None
    problem_id, state, category, created, reported, voices = row[0]
    steps = store._rows("SELECT event_at, to_status FROM problem_event WHERE problem_id = ? "
                        "ORDER BY event_at", [problem_id])
    return {"status": state, "category": category, "reported_at": reported, "voices": voices,
            "steps": steps}


def transition(store: Store, problem_id: str, target: str, actor: str, note: str,
               scope: tuple[str, ...] = ()) -> None:
    def work(cur):
        lock_keys(cur, ["problem:" + problem_id])  # one step at a time, on every app server
        row = cur.execute("SELECT status, region FROM problem WHERE problem_id = ?",
                          [problem_id]).fetchone()
        if row is None or tuple(row[1][:len(scope)]) != tuple(scope):
            raise StoreError(f"there is no problem {problem_id} in your region",
                             f"您的范围内没有编号为 {problem_id} 的问题。")
        rules.check_transition(row[0], target, note)
        refuse(fields.STEP_NOTE.problem(note))
        now = _now()
        cur.execute("UPDATE problem SET status = ?, updated_at = ?, closed_at = ? WHERE "
                    "problem_id = ?", [target, now, now if target in ("closed", "dismissed")
                                       else None, problem_id])
        cur.execute("INSERT INTO problem_event VALUES (?, ?, ?, ?, ?, ?)",
                    [problem_id, now, actor, row[0], target, note.strip()])
        store._audit(cur, actor, f"problem_{target}", problem_id, {"note": note.strip()})
    store._write(work)


def _where(flt: Filter) -> tuple[str, list]:
    """Problems are grouped per county: a region filter or a viewer's scope applies down to
    county level; a filter outside the viewer's scope gives nothing."""
    wanted = flt.region or flt.scope
    if flt.scope and tuple(wanted[:len(flt.scope)]) != tuple(flt.scope):
        return "FALSE", []
    n = min(len(wanted), 2)
    if n == 0:
        return "TRUE", []
    return f"len(p.region) >= {n} AND p.region[1:{n}] = ?", [list(wanted[:n])]


def problems(store: Store, flt: Filter) -> pd.DataFrame:
    """The problem list within the viewer's region (never which points reported it)."""
    where, params = _where(flt)
    rows = store.query(f"""
        SELECT p.problem_id, p.category, p.body_level, p.body_name, p.region[2] AS county,
               p.status, p.created_at, p.updated_at, p.closed_at, count(c.clue_id) AS voices,
               max(c.reported_at) AS last_report
        FROM problem p JOIN clue c USING (problem_id)
        WHERE {where}
        GROUP BY ALL ORDER BY p.updated_at DESC""", params)
    frame = pd.DataFrame(rows, columns=["problem_id", "category", "body_level", "body_name",
                                        "county", "status", "created_at", "updated_at",
                                        "closed_at", "voices", "last_report"])
    frame["days_to_close"] = [(c - o).days if pd.notna(c) else None
                              for o, c in zip(frame["created_at"], frame["closed_at"])]
    return frame


def detail(store: Store, problem_id: str, flt: Filter) -> tuple[list, list] | None:
    """(clues: reported_at, happened, description; events) of one problem in the region."""
    where, params = _where(flt)
    if not store.query(f"SELECT 1 FROM problem p WHERE p.problem_id = ? AND {where}",
                       [problem_id, *params]):
        return None
    clues = store.query("SELECT reported_at, happened, body_name, description FROM clue WHERE "
                        "problem_id = ? ORDER BY reported_at", [problem_id])
    events = store.query("SELECT event_at, actor, from_status, to_status, note FROM problem_event "
                         "WHERE problem_id = ? ORDER BY event_at", [problem_id])
    return clues, events


def counts_by_month(store: Store, flt: Filter, k: int) -> pd.DataFrame:
    """Clues per month and category; a cell under k clues is hidden (None)."""
    where, params = _where(flt)
    rows = store.query(f"""
        SELECT CAST(date_trunc('month', c.reported_at) AS DATE) AS month, c.category,
               count(*) AS clues
        FROM clue c JOIN problem p USING (problem_id) WHERE {where}
        GROUP BY ALL ORDER BY 1, 2""", params)
    frame = pd.DataFrame(rows, columns=["month", "category", "clues"])
    frame["suppressed"] = frame["clues"] < k
    frame.loc[frame["suppressed"], "clues"] = None
    return frame


def register_public_rater(store: Store, key: str, point_id: str) -> None:
    """A browser's pseudonym for rating a point (created on first use)."""
    store._write(lambda cur: cur.execute(
        "INSERT INTO public_rater VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [key, point_id, _now()]))


