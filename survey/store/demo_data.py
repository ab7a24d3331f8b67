"""Demo data (survey.demo generates it): written in one transaction, removed without touching
real data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.store import source_reports
from survey.store.engine import insert_columns

if TYPE_CHECKING:
    from survey.demo import DemoBatch

def has_demo(store) -> bool:
    return store._one("SELECT count(*) FROM point WHERE is_demo")[0] > 0


def load_demo(store, batch: "DemoBatch", actor: str = "system") -> None:
    """Write generated demo data in one transaction (bulk, through Arrow)."""
    def work(cur):
        for table, columns, rows in batch.tables():
            insert_columns(cur, table, columns, rows)
        store.rebuild_rollups(cur)
        store._audit(cur, actor, "load_demo", None, {"points": len(batch.points)})
    store._write(work)


def remove_demo(store, actor: str = "system") -> dict:
    """Delete demo points and everything that hangs off them; real data is untouched."""
    def work(cur):
        demo = "(SELECT point_id FROM point WHERE is_demo)"
        counts = {}
        cur.execute(f"DELETE FROM answer_other WHERE submission_id IN (SELECT submission_id "
                    f"FROM submission WHERE point_id IN {demo})")
        counts["answers"] = cur.execute(
            f"DELETE FROM answer WHERE submission_id IN (SELECT submission_id FROM submission "
            f"WHERE point_id IN {demo})").fetchone()[0]
        cur.execute(f"DELETE FROM kept_slot WHERE submission_id IN (SELECT submission_id "
                    f"FROM submission WHERE point_id IN {demo})")
        counts["kept"] = cur.execute(f"DELETE FROM kept WHERE point_id IN {demo}").fetchone()[0]
        counts["source_reports"] = source_reports.remove_demo(cur, demo)
        counts["submissions"] = cur.execute(
            f"DELETE FROM submission WHERE point_id IN {demo}").fetchone()[0]
        cur.execute(f"DELETE FROM draft WHERE respondent_key IN (SELECT respondent_key FROM "
                    f"respondent WHERE point_id IN {demo})")
        counts["respondents"] = cur.execute(
            f"DELETE FROM respondent WHERE point_id IN {demo}").fetchone()[0]
        cur.execute("DELETE FROM demo_code")
        cur.execute(f"DELETE FROM public_rater WHERE point_id IN {demo}")
        cur.execute(f"DELETE FROM point_month WHERE point_id IN {demo}")
        counts["clues"] = cur.execute(
            f"DELETE FROM clue WHERE point_id IN {demo}").fetchone()[0]
        orphans = "(SELECT problem_id FROM problem WHERE problem_id NOT IN " \
                  "(SELECT problem_id FROM clue))"
        cur.execute(f"DELETE FROM problem_event WHERE problem_id IN {orphans}")
        cur.execute(f"DELETE FROM problem WHERE problem_id IN {orphans}")
        counts["points"] = cur.execute("DELETE FROM point WHERE is_demo").fetchone()[0]
        # the demo county's bodies, plan and duty list (survey/demo_sources.py)
        cur.execute("DELETE FROM plan_version WHERE item_id IN (SELECT item_id FROM plan_item "
                    "WHERE is_demo)")
        counts["plan_items"] = cur.execute("DELETE FROM plan_item WHERE is_demo").fetchone()[0]
        cur.execute("DELETE FROM body_version WHERE body_id IN (SELECT body_id FROM body "
                    "WHERE is_demo)")
        counts["bodies"] = cur.execute("DELETE FROM body WHERE is_demo").fetchone()[0]
        counts["duty_items"] = cur.execute("DELETE FROM duty_item WHERE is_demo").fetchone()[0]
        store._audit(cur, actor, "remove_demo", None, counts)
        return counts
    return store._write(work)
