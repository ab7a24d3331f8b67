"""Small runs of the benchmark and of the crash tests, so they cannot silently break.
The full runs are `python -m bench.run` and `python -m bench.load` (docs/performance.md)."""

import pytest

from tests.browser_support import require_chromium


def test_benchmark_measures_at_the_smallest_scale(tmp_path, monkeypatch):
    from bench import run
    monkeypatch.setattr(run, "DATA", tmp_path)
    result = run.measure("XS", runs=1, log=lambda *_: None)
    assert result["build"]["submissions"] > 2000
    for key in ("trend_province", "trend_county", "floor", "raw_scan", "pandas"):
        assert "error" not in result[key], result[key]
        assert result[key]["median_ms"] > 0, key
    assert [s["writers"] for s in result["submit"]] == [1, 8, 32]
    assert all(s["per_second"] > 0 for s in result["submit"])
    assert result["pages"]["trends_rerun_ms"] > 0 and result["snapshot"]["bytes"] > 0


def test_generated_data_is_valid_for_the_real_questionnaire(tmp_path):
    from bench.generate import KEY, SCALES, build
    from survey import answers as rules
    from survey.store import Store
    build(tmp_path / "xs.duckdb", SCALES["XS"], log=lambda *_: None)
    with Store(tmp_path / "xs.duckdb", KEY) as store:
        qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        for (sid,) in store.query("SELECT submission_id FROM submissions USING SAMPLE 200 ROWS"):
            assert rules.validate(qn, store.submission_answers(sid)) == {}
        live = store.query("SELECT * FROM point_month ORDER BY ALL")
        fast = slots(store)  # written by the generator from its wide rows
        store._write(store.rebuild_rollups)  # the generic rebuild from the answers
        assert store.query("SELECT * FROM point_month ORDER BY ALL") == live
        assert slots(store) == fast


def slots(store) -> dict:
    import json
    return {slot: (sid, sorted(zip(inds, vals)),
                   {k: v for k, v in json.loads(answers).items() if v is not None})
            for slot, sid, inds, vals, answers in store.query(
                "SELECT slot, submission_id, indicators, vals, answers_json FROM kept_slot")}


def test_browser_load_with_a_server_crash_loses_and_duplicates_nothing(tmp_path):
    require_chromium()
    from bench import load
    result = load.run(pages=3, rounds=2, crash=True, folder=tmp_path, crash_after=8.0)
    assert result["acknowledged"] >= 3
    assert result["missing"] == 0 and result["duplicated"] == 0
    assert result["draft_kept"] is True


def test_killing_the_snapshot_writer_keeps_the_previous_snapshot(tmp_path):
    from bench import load
    result = load.kill_snapshot_writer(tmp_path)
    assert result["previous_usable"] and result["replaced_next_run"]
    assert result["leftover_removed"]


def test_backup_benchmark_runs_at_the_smallest_scale(tmp_path, monkeypatch):
    """bench.backup at XS: a backup under a cadre's submits, then a restore (DuckDB only)."""
    import argparse

    from bench import backup
    monkeypatch.setattr(backup, "DATA", tmp_path)
    monkeypatch.setenv("BENCH_DATA", str(tmp_path))  # the children's DATA too
    args = argparse.Namespace(reuse=False, pg_scales="")
    result = backup.measure("XS", None, args, log=lambda *_: None)
    assert result["backup_duckdb"]["bytes"] > 0 and result["backup_duckdb"]["rows"] > 2000
    assert result["restore_duckdb"]["rows"] == result["backup_duckdb"]["rows"]
    assert result["backup_duckdb"]["submit_before_ms"]["n"] == 30
    assert "| XS |" in backup.table([result])
