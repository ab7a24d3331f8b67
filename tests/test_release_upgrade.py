"""Upgrading from the release that is deployed: a database the previous release wrote, with its
own code (tests/fixtures/make_release_fixture.py, commit 5e1e9b1, schema 13), opened by this
code: migrations run forward, and every figure leaders see, every analyst view and example
query, what a cadre's code opens (carried-forward answers, a draft, a revision), accounts,
problem reports and settings are what the old release itself showed (recorded by it in
release-5e1e9b1.expected.json.xz). On the DuckDB file, and on PostgreSQL (the old code's database
restored from its pg_dump into the test cluster)."""

from __future__ import annotations

import datetime as dt
import lzma
import math
import re
import shutil
import subprocess

import pytest

from survey import signin, throttle
from survey.store import Store
from survey.store.engine import migrations
from tests.conftest import ROOT
from tests.fixtures import release_figures
from tests.fixtures.make_release_fixture import CODE_KEY

FIXTURES = ROOT / "tests" / "fixtures"
NAME = "release-5e1e9b1"
EXPECTED = release_figures.load(FIXTURES / f"{NAME}.expected.json.xz")


@pytest.fixture
def release(engine_name, tmp_path, request):
    """A fresh copy of the old release's database: (where it is, what the old code showed)."""
    if engine_name == "duckdb":
        target = tmp_path / "release.duckdb"
        with lzma.open(FIXTURES / f"{NAME}.duckdb.xz") as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)
    else:
        cluster = request.getfixturevalue("pg_cluster")
        target = cluster.new_database()
        subprocess.run([str(cluster.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "--dbname", target], input=lzma.decompress(
                            (FIXTURES / f"{NAME}.pg.sql.xz").read_bytes()),
                       check=True, capture_output=True)
    return target, EXPECTED[engine_name]


def differences(old, new, path: str = "") -> list[str]:
    """Where `new` differs from what the old release showed. A frame is compared on the old
    release's columns (a later release may add some); a dict may gain keys, never lose one."""
    if isinstance(old, dict) and "rows" in old and "columns" in old and "md5" not in old:
        gone = [c for c in old["columns"] if c not in new.get("columns", [])]
        if gone:
            return [f"{path}: columns {gone} are gone"]
        at = [new["columns"].index(c) for c in old["columns"]]
        rows = sorted(([row[i] for i in at] for row in new["rows"]),
                      key=release_figures._sort_key)
        if len(rows) != len(old["rows"]):
            return [f"{path}: {len(old['rows'])} rows before, {len(rows)} now"]
        return [d for i, (o, n) in enumerate(zip(old["rows"], rows))
                for d in differences(o, n, f"{path}[{i}]")]
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{path}: {old!r} became {new!r}"]
        return [f"{path}/{key}: gone" if key not in new else d
                for key in old for d in (differences(old[key], new[key], f"{path}/{key}")
                                         if key in new else [None])]
    if isinstance(old, list):
        if not isinstance(new, list) or len(old) != len(new):
            return [f"{path}: {old!r} became {new!r}"]
        return [d for i, (o, n) in enumerate(zip(old, new))
                for d in differences(o, n, f"{path}[{i}]")]
    if isinstance(old, float) and isinstance(new, (int, float)) and not isinstance(new, bool):
        return [] if math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12) else \
            [f"{path}: {old} became {new}"]
    return [] if old == new else [f"{path}: {old!r} became {new!r}"]


def changed_on_purpose(difference: str, expected: dict) -> bool:
    """What this release changed on purpose since the fixture's release; everything else must
    be what the old release showed. Issue 28: the warnings (and the briefing's warning sheet)
    come from rules with a false-alarm rate, and a change within chance is no longer called
    good or bad (the overview's `good` is None where it was True/False)."""
    scopes = "(network|county_leader)"
    good = expected["leaders"]["network"]["overview"]["rows"]["columns"].index("good")
    return bool(re.match(rf"/leaders/{scopes}/(alerts|briefing/预警)\b", difference) or re.match(
        rf"/leaders/{scopes}/overview/rows\[\d+\]\[{good}\]: (True|False) became None$",
        difference))


def test_the_release_database_migrates_forward_and_keeps_every_figure(release, engine_name):
    target, expected = release
    store = Store(target, CODE_KEY.encode())  # opening it migrates
    try:
        assert expected["schema"] < store.schema_version() == \
            max(n for n, _, _ in migrations(engine_name))
        inputs = dict(expected["inputs"])
        # The warning method changed on purpose (issue 28: rules with a false-alarm rate; the
        # old rules' keys are refused): the warnings are computed with this release's rules
        # and compared only where the method did not change.
        inputs["config"] = {**inputs["config"], "warnings.yaml":
                            (ROOT / "config" / "warnings.yaml").read_text(encoding="utf-8")}
        now = release_figures.record(store, inputs, known=expected["figures"])
    finally:
        store.close()
    found = [d for d in differences(expected["figures"], now)
             if not changed_on_purpose(d, expected["figures"])]
    assert not found, f"{len(found)} differences, e.g.:\n" + "\n".join(found[:20])
    # the comparison sees a change (it is not comparing nothing with nothing)
    assert expected["figures"]["leaders"]["network"]["overview"]["rows"]["rows"]
    changed = release_figures.plain(now)
    changed["leaders"]["network"]["overview"]["rows"]["rows"].pop()
    assert differences(expected["figures"], changed)


def test_a_cadre_code_from_the_old_data_opens_its_answers(release):
    """The cadres' side, spelled out: cadre 0 revised October (meetings 11, revision 2), so
    November opens with October's answers carried forward; cadre 4's October draft reopens."""
    from survey import form_flow
    target, expected = release
    codes = expected["inputs"]["codes"]
    with Store(target, CODE_KEY.encode()) as store:
        qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        november = form_flow.open_form(store, store.respondent(codes[0]), qn, "2026-11")
        assert november.carried_from == "2026-10" and november.carried["meetings"] == 11
        assert november.carried["documents"] == 40
        october = form_flow.open_form(store, store.respondent(codes[0]), qn, "2026-10")
        assert october.receipt.revision == 2 and october.answers["meetings"] == 11
        draft = form_flow.open_form(store, store.respondent(codes[4]), qn, "2026-10")
        assert draft.answers["documents"] == 31 and draft.answers["meetings"] == 7


def test_the_old_first_admin_password_counts_from_the_upgrade(release):
    """The old release's first admin never signed in: after the upgrade its one-time password
    still works (72 hours from the upgrade), and then expires."""
    target, expected = release
    one_time = expected["inputs"]["passwords"]["admin"]
    with Store(target, CODE_KEY.encode()) as store:
        first = signin.staff_sign_in(store, throttle.Limits(), "admin", one_time, "127.0.0.1")
        assert first.ok and store.account("admin").must_change
        three_days = dt.datetime.now().replace(microsecond=0) - dt.timedelta(hours=73)
        store._write(lambda cur: cur.execute(
            "UPDATE schema_migrations SET applied_at = ? WHERE version = 15", [three_days]))
        late = signin.staff_sign_in(store, throttle.Limits(), "admin", one_time, "127.0.0.1")
        assert late.reason == "expired"
