"""Benchmark data at county, province and national-sample scale, in the real store.

The database is created by the real Store (all migrations) with the real default
questionnaires published; points, respondents, submissions, kept rows and typed answers are
then generated in DuckDB SQL (Python row by row would take hours at 7 million submissions).
Randomness is a hash of the row's identity, so a scale is the same every time it is built.

Shapes: counts skewed (log-normal around a per-kind base), hours bounded and in half-hour
steps, follow-up questions answered only when their gate is, a policy fall one third into
the series and rebounds at 2% of points in the last six months, ~95% response.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from survey import periods
from survey.bootstrap import publish_dir
from survey.demo import POLICY_MONTH
from survey.store import Store

ROOT = Path(__file__).resolve().parent.parent
KEY = b"bench-key"


@dataclass(frozen=True)
class Scale:
    name: str
    points: int
    respondents: int
    months: int

    @property
    def submissions(self) -> int:  # before the ~95% response rate
        return self.points * self.respondents * self.months


SCALES = {
    "XS": Scale("XS", 40, 6, 12),  # the smoke run in the test suite
    "S": Scale("S", 300, 8, 24),
    "M": Scale("M", 5_000, 10, 36),
    "L": Scale("L", 20_000, 10, 36),
}

_KINDS = ["village"] * 50 + ["community"] * 10 + ["township"] * 12 + ["county_dept"] * 14 + \
    ["school"] * 6 + ["hospital"] * 4 + ["enterprise"] * 4


def _u(expr: str, salt: str) -> str:
    """A uniform number in [0, 1) from a hash of expr and a salt."""
    return f"((hash({expr}, '{salt}') % 1000003) / 1000003.0)"


def _normal(expr: str, salt: str) -> str:
    """A standard normal number (Box-Muller on two hashed uniforms)."""
    return (f"(sqrt(-2 * ln(greatest({_u(expr, salt + 'a')}, 1e-9))) * "
            f"cos(2 * pi() * {_u(expr, salt + 'b')}))")


def build(path: Path, scale: Scale, end: dt.date | None = None, log=print) -> dict:
    """Create the database at `path` for a scale; returns timings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    store = Store(path, KEY)
    publish_dir(store, ROOT / "questionnaires")
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    end = end or dt.date.today()
    last = periods.previous("month", periods.key_for("month", end))
    months = periods.recent("month", periods.bounds("month", last)[0], scale.months)[::-1]
    # the policy month of the demo and of config/warnings.yaml, when the series covers it
    policy_index = next((i for i, m in enumerate(months)
                         if periods.bounds("month", m)[0] >= POLICY_MONTH), scale.months // 3)
    if not 6 <= policy_index <= scale.months - 6:
        policy_index = scale.months // 3
    policy = periods.bounds("month", months[policy_index])[0]
    rebound_from = periods.bounds("month", months[-6])[0]
    kinds = ", ".join(f"'{k}'" for k in _KINDS)
    timings = {}
    with store.raw_cursor() as cur:
        cur.execute("SET preserve_insertion_order = false")
        step = time.perf_counter()
        prefectures = max(2, scale.points // 400)
        counties = max(4, scale.points // 50)
        townships = max(8, scale.points // 6)
        cur.execute(f"""
            INSERT INTO point (point_id, name, level, kind, region, active, is_demo)
            SELECT 'B' || lpad(i::VARCHAR, 6, '0'), '监测点' || i,
                   CASE WHEN k IN ('village', 'community') THEN 'village'
                        WHEN k = 'township' THEN 'township' ELSE 'county' END,
                   k,
                   CASE WHEN k IN ('county_dept', 'school', 'hospital', 'enterprise')
                        THEN ['市' || (c % {prefectures}), '县' || c]
                        ELSE ['市' || (c % {prefectures}), '县' || c, '镇' || t] END,
                   TRUE, FALSE
            FROM (SELECT i, ([{kinds}])[1 + (hash(i, 'kind') % {len(_KINDS)})::INT] AS k,
                         (i % {townships}) % {counties} AS c, i % {townships} AS t
                  FROM range({scale.points}) r(i))""")
        cur.execute(f"""
            INSERT INTO respondent (respondent_key, point_id, issued_at)
            SELECT md5(p.point_id || ':' || r), p.point_id, TIMESTAMP '{months[0]}-01 09:00:00'
            FROM point p, range({scale.respondents}) t(r)""")
        timings["points_respondents_s"] = time.perf_counter() - step
        step = time.perf_counter()
        month_rows = ", ".join(f"('{m}', DATE '{m}-01', {i})" for i, m in enumerate(months))
        cur.execute(f"""
            CREATE TEMP TABLE gen AS
            SELECT md5(r.respondent_key || m.period_key) AS sid, r.respondent_key, r.point_id,
                   p.kind, m.period_key, m.period_start, m.idx,
                   CASE WHEN m.period_start < DATE '{policy}' THEN 1.0
                        ELSE greatest(0.65, 1.0 - 0.09 * (m.idx - {policy_index} + 1)) END
                   * CASE WHEN hash(p.point_id, 'rebound') % 50 = 0
                          AND m.period_start >= DATE '{rebound_from}'
                          THEN 1.0 + 0.1 * (m.idx - {scale.months - 6} + 1) ELSE 1.0 END AS load,
                   exp(0.25 * {_normal('r.respondent_key', 'scale')}) AS person
            FROM respondent r JOIN point p USING (point_id),
                 (VALUES {month_rows}) m(period_key, period_start, idx)
            WHERE {_u('r.respondent_key || m.period_key', 'respond')} < 0.95""")
        base = ("CASE kind WHEN 'township' THEN 1.5 WHEN 'county_dept' THEN 1.2 "
                "WHEN 'village' THEN 0.7 WHEN 'community' THEN 0.9 ELSE 0.6 END")

        def count(name: str, mean: float, cap: int) -> str:
            return (f"least({cap}, greatest(0, round({mean} * {base} * load * person * "
                    f"exp(0.35 * {_normal('sid', name)}))))::INT")

        def hours(name: str, mean: float, cap: int) -> str:
            return (f"least({cap}, greatest(0, round(2 * {mean} * load * person * "
                    f"exp(0.3 * {_normal('sid', name)})) / 2))")

        cur.execute(f"""
            CREATE TEMP TABLE wide AS
            SELECT *,
                   CASE WHEN documents > 0 THEN least(documents, round(documents * 0.35 *
                        {_u('sid', 'da')} * 2))::INT END AS documents_action,
                   CASE WHEN forms > 0 THEN least(forms, round(forms * 0.3 * load *
                        {_u('sid', 'df')} * 2))::INT END AS duplicate_forms,
                   CASE WHEN inspections > 0 THEN {hours('ih', 4.0, 400)} * inspections
                        END AS inspection_hours_raw,
                   CASE WHEN trace THEN greatest(0.5, {hours('th', 3.0, 80)}) END AS trace_hours,
                   CASE WHEN chat_groups > 0 THEN {_u('sid', 'cp')} < 0.6 * load END AS chat_pressure
            FROM (SELECT sid, respondent_key, point_id, kind, period_key, period_start, load,
                         person,
                         {count('doc', 45, 5000)} AS documents,
                         {count('mtg', 12, 300)} AS meetings,
                         {hours('mh', 9.0, 80)} AS meeting_hours,
                         {count('frm', 16, 2000)} AS forms,
                         {hours('fh', 8.0, 80)} AS form_hours,
                         {count('ins', 2.5, 300)} AS inspections,
                         {_u('sid', 'tr')} < 0.55 * load AS trace,
                         {count('app', 7, 100)} AS apps,
                         {count('grp', 16, 500)} AS chat_groups,
                         least(5, greatest(1, round(3.1 + (1 - load) * 2.5 +
                               0.8 * {_normal('sid', 'sat')})))::INT AS satisfaction,
                         least(5, greatest(1, round(CASE WHEN load < 0.9 THEN 2.6 ELSE 3.3 END +
                               0.8 * {_normal('sid', 'chg')})))::INT AS burden_change
                  FROM gen)""")
        timings["generate_s"] = time.perf_counter() - step
        step = time.perf_counter()
        start_minute = f"(hash(sid, 'min') % 600)::INT"
        cur.execute(f"""
            INSERT INTO submission
            SELECT sid, 'bench-' || sid, respondent_key, point_id, 'burden_monthly', {qn.version},
                   '{qn.content_hash}', period_key, period_start, 1,
                   period_start + INTERVAL 27 DAY + to_minutes({start_minute})
                       - to_seconds((60 + hash(sid, 'dur') % 400)::INT),
                   period_start + INTERVAL 27 DAY + to_minutes({start_minute}),
                   (60 + hash(sid, 'dur') % 400)::DOUBLE
            FROM wide""")
        cur.execute("INSERT INTO kept SELECT respondent_key, point_id, 'burden_monthly', "
                    "period_key, sid FROM wide")
        timings["submissions_s"] = time.perf_counter() - step
        step = time.perf_counter()
        numeric = [("documents", "integer"), ("documents_action", "integer"),
                   ("meetings", "integer"), ("meeting_hours", "decimal"), ("forms", "integer"),
                   ("form_hours", "decimal"), ("duplicate_forms", "integer"),
                   ("inspections", "integer"), ("apps", "integer"), ("chat_groups", "integer")]
        parts = [f"SELECT sid, '{q}', '', '{t}', '{q}', {q}::DOUBLE, NULL, NULL, NULL, NULL "
                 f"FROM wide WHERE {q} IS NOT NULL" for q, t in numeric]
        parts += [
            "SELECT sid, 'inspection_hours', '', 'decimal', 'inspection_hours', "
            "least(400, inspection_hours_raw), NULL, NULL, NULL, NULL FROM wide "
            "WHERE inspection_hours_raw IS NOT NULL",
            "SELECT sid, 'trace_demands', '', 'yes_no', 'trace_demands', trace::INT, NULL, "
            "trace, NULL, NULL FROM wide",
            "SELECT sid, 'trace_hours', '', 'decimal', 'trace_hours', trace_hours, NULL, NULL, "
            "NULL, NULL FROM wide WHERE trace_hours IS NOT NULL",
            "SELECT sid, 'chat_pressure', '', 'yes_no', 'chat_pressure', chat_pressure::INT, "
            "NULL, chat_pressure, NULL, NULL FROM wide WHERE chat_pressure IS NOT NULL",
            "SELECT sid, 'burden_change', '', 'likert', 'burden_change', burden_change, "
            "burden_change::VARCHAR, NULL, NULL, NULL FROM wide",
            "SELECT sid, 'satisfaction', '', 'likert', 'satisfaction', satisfaction, "
            "satisfaction::VARCHAR, NULL, NULL, NULL FROM wide",
            f"SELECT sid, 'one_cut', '', 'long_text', NULL, NULL, '重复填报的表格太多', NULL, "
            f"NULL, NULL FROM wide WHERE {_u('sid', 'txt')} < 0.02",
        ]
        for part in parts:
            cur.execute(f"INSERT INTO answer {part}")
        timings["answers_s"] = time.perf_counter() - step
        step = time.perf_counter()
        # kept_slot straight from the wide rows (the generic rebuild aggregates the answers)
        numeric_cols = [q for q, _ in numeric] + ["inspection_hours", "trace_demands",
                                                  "trace_hours", "chat_pressure",
                                                  "burden_change", "satisfaction"]
        expr = {q: q for q in numeric_cols}
        # DuckDB's least() skips NULLs: least(400, NULL) is 400, so guard the not-asked case
        capped = "CASE WHEN inspection_hours_raw IS NOT NULL THEN least(400, inspection_hours_raw) END"
        expr.update(inspection_hours=capped,
                    trace_demands="trace::INT", chat_pressure="chat_pressure::INT")
        inds = ", ".join(f"'{q}'" for q in numeric_cols)
        vals = ", ".join(f"{expr[q]}::DOUBLE" for q in numeric_cols)
        cur.execute(f"""
            INSERT INTO kept_slot
            SELECT respondent_key || '|' || point_id || '|burden_monthly|' || period_key, sid, 1,
                   list_filter([{inds}], (x, i) -> ([{vals}])[i] IS NOT NULL),
                   list_filter([{vals}], x -> x IS NOT NULL),
                   to_json({{'documents': documents, 'documents_action': documents_action,
                             'meetings': meetings, 'meeting_hours': meeting_hours,
                             'forms': forms, 'form_hours': form_hours,
                             'duplicate_forms': duplicate_forms, 'inspections': inspections,
                             'inspection_hours': {capped},
                             'trace_demands': trace, 'trace_hours': trace_hours,
                             'apps': apps, 'chat_groups': chat_groups,
                             'chat_pressure': chat_pressure,
                             'one_cut': CASE WHEN {_u('sid', 'txt')} < 0.02
                                             THEN '重复填报的表格太多' END,
                             'burden_change': burden_change::VARCHAR,
                             'satisfaction': satisfaction::VARCHAR}})::VARCHAR
            FROM wide""")
        store.rebuild_point_month(cur)
        timings["rollup_s"] = time.perf_counter() - step
        cur.execute("DROP TABLE wide")
        cur.execute("DROP TABLE gen")
        step = time.perf_counter()
        cur.execute("CHECKPOINT")
        timings["checkpoint_s"] = time.perf_counter() - step
        counts = {"submissions": cur.execute("SELECT count(*) FROM submission").fetchone()[0],
                  "answers": cur.execute("SELECT count(*) FROM answer").fetchone()[0]}
    store.close()
    timings["total_s"] = time.perf_counter() - started
    timings.update(counts)
    timings["bytes"] = path.stat().st_size
    log(f"built {scale.name}: {counts['submissions']:,} submissions, {counts['answers']:,} "
        f"answers, {timings['bytes'] / 1e9:.2f} GB in {timings['total_s']:.1f} s")
    return timings
