"""Command line: python -m survey {validate,init,publish,demo,points,codes,period,calendar} ..."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from survey import periods

from survey import config as config_module
from survey.cli_messages import LANG_HELP, Parser, fail, say, say_each
from survey.errors import DomainError
from survey.questionnaire import load_dir

ACTOR = "cli"


def _store(cfg):
    from survey.store import Store
    return Store(cfg.store_target, cfg.code_key)


def cmd_validate(args, cfg) -> int:
    paths = args.paths or [cfg.questionnaire_dir]
    result = load_dir(*paths)
    say_each([p.bilingual() for p in result.problems], args.lang)
    for qn in result.valid:
        n = len(qn.questions)
        say(f"ok  {qn.source_name}: {qn.ref}, {n} questions",
            f"通过  {qn.source_name}:{qn.ref},{n} 道题", lang=args.lang)
    if result.problems:
        n = len(result.problems)
        say(f"{n} problem(s) found", f"发现 {n} 处问题", sys.stderr, args.lang)
        return 1
    return 0


def cmd_init(args, cfg) -> int:
    from survey.bootstrap import start
    startup = start(cfg)
    print(f"database: {cfg.db_path} (schema version {startup.store.schema_version()})")
    for ref in startup.published:
        print(f"published {ref}")
    say_each(startup.problems, args.lang)
    if startup.demo_loaded:
        print("demo data loaded (remove with: python -m survey demo --remove)")
    if startup.demo_skipped:
        print(f"note: {startup.demo_skipped.en}\n注意:{startup.demo_skipped.zh}")
    startup.store.close()
    return 1 if startup.problems else 0


def cmd_publish(args, cfg) -> int:
    from survey.bootstrap import publish_dir
    with _store(cfg) as store:
        problems = []
        for path in args.paths or [cfg.questionnaire_dir]:
            published, found = publish_dir(store, path, ACTOR)
            problems += found
            for ref in published:
                say(f"published {ref}", f"已发布 {ref}", lang=args.lang)
    say_each(problems, args.lang)
    return 1 if problems else 0


def cmd_demo(args, cfg) -> int:
    from survey import demo
    from survey.bootstrap import publish_dir
    with _store(cfg) as store:
        if args.remove:
            counts = store.remove_demo(ACTOR)
            print("removed demo data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
            return 0
        if store.has_demo():
            print("demo data is already loaded")
            return 0
        publish_dir(store, cfg.questionnaire_dir, ACTOR)
        try:
            batch = demo.load(store, actor=ACTOR)
        except demo.DemoUnavailable as exc:
            print(f"error: {exc.en}\n错误:{exc.zh}", file=sys.stderr)
            return 1
        print(f"loaded demo data: {len(batch.points)} points, {len(batch.submissions)} submissions")
        for code, name in store.demo_codes():
            print(f"  try code {code}  ({name})")
    return 0


def cmd_points(args, cfg) -> int:
    """List points; add one (`points add ID NAME --level --kind --region`), or import a CSV or
    XLSX file with the admin page's columns and checks (nothing written while a row is wrong)."""
    import pandas as pd

    from survey import points_io
    if args.action == "add" and not (args.target and args.name and args.level and args.kind
                                     and args.region):
        print("error: points add ID NAME --level LEVEL --kind KIND --region 江北市/清河县[/城关镇]",
              file=sys.stderr)
        return 2
    if args.action == "import" and not args.target:
        print("error: points import FILE.csv|FILE.xlsx", file=sys.stderr)
        return 2
    with _store(cfg) as store:
        if args.action == "list":
            for p in store.points():
                flags = ("" if p.active else " [inactive]") + (" [demo]" if p.is_demo else "")
                print(f"{p.point_id}\t{p.kind}\t{'/'.join(p.region)}\t{p.name}{flags}")
            return 0
        existing = {p.point_id: p for p in store.points()}
        if args.action == "add":
            if args.target in existing:
                print(f"error: point {args.target} exists already (to change it: points import "
                      f"a file with its row)\n错误:监测点 {args.target} 已存在(如需修改,请用 "
                      "points import 导入含该行的文件)", file=sys.stderr)
                return 1
            region = (args.region.split("/") + ["", "", ""])[:3]
            frame = pd.DataFrame([dict(zip(points_io.COLUMNS, [
                args.target, args.name, args.level, args.kind, *region,
                "0" if args.inactive else "1"]))])
            source = "points add"
        else:
            path = Path(args.target)
            try:
                frame = points_io.read_table(path.read_bytes(), path.name)
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                print(f"error: cannot read {path}: {exc}\n错误:无法读取 {path}"
                      + (f":{exc.zh}" if getattr(exc, "zh", None) else ""), file=sys.stderr)
                return 1
            source = str(path)
        result = points_io.preview(frame, existing)
        for line, problem in result.errors:
            where = source if args.action == "add" else f"{source}:{line}"
            print(f"{where}: {problem}\n{where}: {problem.zh}", file=sys.stderr)
        if result.errors or not result.points:
            print("nothing written / 未写入任何数据", file=sys.stderr)
            return 1
        added, updated = store.upsert_points(result.points, ACTOR)
        print(f"added {added}, updated {updated} point(s) / 新增 {added} 个,更新 {updated} 个")
    return 0


def cmd_codes(args, cfg) -> int:
    with _store(cfg) as store:
        if args.action == "issue":
            for code in store.issue_codes(args.target, args.count, ACTOR):
                print(code)
            print(f"{args.count} code(s) for {args.target}. They are shown only now: "
                  "the database keeps a keyed hash, not the codes.", file=sys.stderr)
        else:
            store.revoke_code(args.target, ACTOR)
            print("revoked")
    return 0


def cmd_period(args, cfg) -> int:
    with _store(cfg) as store:
        versions = [v for v in store.questionnaire_versions()
                    if v["questionnaire_id"] == args.questionnaire]
        if not versions:
            print(f"no questionnaire '{args.questionnaire}' is published", file=sys.stderr)
            return 2
        periods.bounds(versions[-1]["period"], args.period)  # refuses a malformed key
        store.close_period(args.questionnaire, args.period, ACTOR)
        print(f"closed {args.questionnaire} {args.period}: no more submissions or revisions")
    return 0


def cmd_schema_doc(args, cfg) -> int:
    from survey.config import PROJECT_ROOT
    from survey.schema_doc import render
    with _store(cfg) as store:
        text = render(store)
    if args.write:
        (PROJECT_ROOT / "docs" / "schema.md").write_text(text, encoding="utf-8")
        print("wrote docs/schema.md")
    else:
        print(text, end="")
    return 0


def cmd_snapshot(args, cfg) -> int:
    from survey.store import StoreLockedError, snapshot
    target = Path(args.out) if args.out else cfg.snapshot
    try:
        store = _store(cfg)
    except StoreLockedError as exc:
        print(f"error: {exc}\nThe running app refreshes {cfg.snapshot} itself (every "
              f"{cfg.snapshot_minutes:g} minutes after data changed).", file=sys.stderr)
        return 2
    with store:
        info = snapshot.write(store, target, cfg.k_anonymity)
    print(f"wrote {info.path} ({info.bytes / 1e6:.1f} MB in {info.seconds:.2f} s); open it "
          f"read-only, e.g. duckdb -readonly {info.path}")
    return 0


def cmd_analyst_role(args, cfg) -> int:
    from survey.access import one_time_password
    from survey.store import analyst_access
    password = args.password or one_time_password()
    status = 0
    with _store(cfg) as store:
        if not args.print_sql:
            try:
                analyst_access.grant_analyst_role(store, password, cfg.k_anonymity, ACTOR,
                                                  args.connection_limit)
                print(f"role {analyst_access.ROLE}: may read the views of schema "
                      f"{analyst_access.SCHEMA} only (k = {cfg.k_anonymity} for "
                      f"problem_reports), {args.connection_limit} connections at most")
            except analyst_access.NotSuperuser as exc:  # the statements, for a superuser
                print(f"error: {exc.en}\n错误:{exc.zh}", file=sys.stderr)
                status = 2
        if args.print_sql or status:
            print(analyst_access.script(analyst_access.role_statements(
                store, password, cfg.k_anonymity, ACTOR, args.connection_limit)))
        out = sys.stderr if args.print_sql or status else sys.stdout
        if not args.password:
            print(f"password (shown only now): {password}", file=out)
        print("analysts attach from DuckDB 1.5 (docs/analysts.md):\n  INSTALL postgres;\n  "
              + analyst_access.attach_statement(store, "..." if args.password else password)
              + "\n  USE survey.analyst;", file=out)
    return status


def cmd_export(args, cfg) -> int:
    import duckdb

    from survey import bulk_export
    from survey.store import StoreLockedError
    for flag, key in (("--from", args.first), ("--to", args.last)):
        if key and not _is_month(key):
            say(f"error: {flag} {key} is not a month: --from and --to take months as YYYY-MM, "
                "e.g. --from 2026-01 --to 2026-12 for the year 2026, --from 2026-10 --to "
                "2026-12 for 2026-Q4 (weekly, quarterly and one-off periods are exported with "
                "the months they fall in)", f"错误:{flag} {key} 不是月份:--from 和 --to 只接受"
                "月份(YYYY-MM),如 2026 年全年写 --from 2026-01 --to 2026-12,2026 年第四季度写 "
                "--from 2026-10 --to 2026-12(按周、按季和一次性的期次随所在月份导出)",
                sys.stderr)
            return 2
    try:
        store = _store(cfg)
        con, source = store.raw_connection(), str(cfg.db_path)
        kinds = {v["questionnaire_id"]: v["period"] for v in store.questionnaire_versions()}
    except StoreLockedError:
        store = None
        if not cfg.snapshot.exists():
            say("error: the app holds the database and there is no snapshot yet; wait for "
                "the app to write one, or stop the app and export again",
                "错误:应用正在使用数据库,且尚无分析快照;请等应用写出快照,或停止应用后再导出",
                sys.stderr)
            return 2
        con, source = duckdb.connect(str(cfg.snapshot), read_only=True), str(cfg.snapshot)
        [(made,)] = con.execute("SELECT created_at FROM snapshot_info").fetchall()
        minutes = max(int((dt.datetime.now() - made).total_seconds() // 60), 0)
        made = f"{made:%Y-%m-%d %H:%M}"
        say(f"the app is running: exporting from the snapshot {source}, made {made} "
            f"({minutes} minutes ago); the app refreshes it {cfg.snapshot_minutes:g} "
            "minutes after data changed, or at once with 立即刷新快照 (Refresh the snapshot now) "
            "on the SQL workbench page; for the newest data now, stop the app and export again",
            f"应用正在运行:从分析快照 {source} 导出,快照生成于 {made}({minutes} "
            f"分钟前);数据变化后应用每 {cfg.snapshot_minutes:g} 分钟刷新一次快照,也可在 SQL "
            "工作台页面点“立即刷新快照”;要立即导出最新数据,请停止应用后再导出", sys.stderr)
        kinds = {q.id: q.period for q in load_dir(cfg.questionnaire_dir).valid}
    try:
        if args.format in ("sav", "dta"):  # SPSS / Stata with labels (survey.interop)
            from survey.interop import commands as interop
            return interop.cmd_export_stat(args, cfg, con, interop.questionnaire_lookup(store, cfg))
        written = bulk_export.export(con, Path(args.out), args.format, args.first, args.last,
                                     kinds=kinds)
    except DomainError as exc:  # e.g. a stored version the files no longer hold
        return fail(exc)
    finally:
        (store.close() if store else con.close())
    for view, rows in written.items():
        print(f"{view}: {rows:,} rows")
    print(f"written to {args.out}")
    return 0


def _is_month(key: str) -> bool:
    try:
        periods.bounds("month", key)
        return True
    except periods.PeriodError:
        return False


def cmd_admin(args, cfg) -> int:
    from survey.access import ROLES, one_time_password
    if args.role not in ROLES:
        print(f"error: role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    from survey import sso
    password = one_time_password()
    region = [r for r in (args.region or "").split("/") if r]
    with _store(cfg) as store:
        if args.action == "create":
            store.create_account(args.username, args.name or args.username, args.role, region,
                                 password, ACTOR)
        else:
            if store.account(args.username) is None:
                print(f"error: no account '{args.username}'", file=sys.stderr)
                return 2
            store.set_password(args.username, password, ACTOR, must_change=True)
        refused = sso.policy(store).refuses_password(args.username)
    print(f"{args.username}: one-time password {password} (to be changed at first sign-in; "
          f"{cfg.one_time_validity})")
    if refused:
        print(f"note: single sign-on is required for staff, so {args.username} signs in with "
              f"the organisation account; this password works only for the emergency "
              f"administrator or once single sign-on is optional (python -m survey sso optional)")
    return 0


def cmd_sso(args, cfg) -> int:
    """Whether staff must sign in with their organisation account, and the emergency admin."""
    from survey import sso
    with _store(cfg) as store:
        if args.action == "status":
            chosen = sso.policy(store)
        else:
            configured = bool(config_module.read_secrets().get("auth"))
            current = sso.policy(store)
            chosen = sso.set_policy(store, args.action == "require",
                                    args.break_glass or current.break_glass or "admin",
                                    ACTOR, configured)
    if chosen.required:
        print(f"single sign-on required for staff; emergency administrator with a local "
              f"password: {chosen.break_glass} (reset it: python -m survey admin "
              f"reset-password {chosen.break_glass})")
    else:
        print("single sign-on optional: staff may also sign in with a password of this platform")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m survey",
                                     description="Grassroots burden-reduction survey platform")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check questionnaire YAML files; exit 1 on any problem")
    p.add_argument("paths", nargs="*", help="files or folders (default: questionnaires/)")
    p.add_argument("--lang", choices=["zh", "en"], help=LANG_HELP)
    p.set_defaults(func=cmd_validate, need_key=False)  # checking a file creates no secret
    p = sub.add_parser("init", help="create or migrate the database and publish questionnaires")
    p.add_argument("--lang", choices=["zh", "en"], help=LANG_HELP)
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("publish", help="publish questionnaires (a changed published version is refused)")
    p.add_argument("paths", nargs="*")
    p.add_argument("--lang", choices=["zh", "en"], help=LANG_HELP)
    p.set_defaults(func=cmd_publish)
    p = sub.add_parser("demo", help="load demo monitoring points and submissions")
    p.add_argument("--remove", action="store_true", help="delete demo data, keep real data")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("points", help="list monitoring points, add one, or import a CSV/XLSX "
                       "file with the admin page's columns (point_id, name, level, kind, "
                       "prefecture, county, township, active)")
    p.add_argument("action", nargs="?", choices=["list", "add", "import"], default="list")
    p.add_argument("target", nargs="?", help="add: the point id; import: the file")
    p.add_argument("name", nargs="?", help="add: the point's name")
    p.add_argument("--level", help="add: province, prefecture, county, township or village")
    p.add_argument("--kind", help="add: county_dept, township, village, community, "
                   "enterprise, school or hospital")
    p.add_argument("--region", help="add: 江北市/清河县/城关镇 (prefecture/county/township)")
    p.add_argument("--inactive", action="store_true", help="add: not monitored (yet)")
    p.set_defaults(func=cmd_points)
    p = sub.add_parser("codes", help="issue or revoke respondent codes")
    p.add_argument("action", choices=["issue", "revoke"])
    p.add_argument("target", help="point id (issue) or code (revoke)")
    p.add_argument("--count", type=int, default=1)
    p.set_defaults(func=cmd_codes)
    p = sub.add_parser("period", help="close a period: ends submissions and revisions")
    p.add_argument("action", choices=["close"])
    p.add_argument("questionnaire")
    p.add_argument("period", help="e.g. 2026-11, 2026-Q4, 2026-W47")
    p.set_defaults(func=cmd_period)
    p = sub.add_parser("admin", help="create a staff account, or reset its password")
    p.add_argument("action", choices=["create", "reset-password"])
    p.add_argument("username")
    p.add_argument("--role", default="admin", help="admin, leader or analyst")
    p.add_argument("--region", help="a leader's scope, e.g. 江北市/清河县")
    p.add_argument("--name", help="display name")
    p.set_defaults(func=cmd_admin)
    p = sub.add_parser("sso", help="require single sign-on for staff (passwords refused except "
                       "the emergency administrator's), make it optional again, or show which")
    p.add_argument("action", choices=["status", "require", "optional"])
    p.add_argument("--break-glass", help="with require: the administrator who keeps a local "
                   "password (default: the current one, else 'admin')")
    p.set_defaults(func=cmd_sso)
    p = sub.add_parser("snapshot", help="write the analytics snapshot (a read-only copy for "
                       "DuckDB clients)")
    p.add_argument("--out", help="default: analytics.duckdb beside the database")
    p.set_defaults(func=cmd_snapshot)
    p = sub.add_parser("analyst-role", help="PostgreSQL: create or update the role "
                       "survey_analyst, which reads the analysts' views live and nothing else")
    p.add_argument("--password", help="its new password (default: a random one, shown once)")
    p.add_argument("--print-sql", action="store_true", help="print the statements for a "
                   "database superuser instead of running them (the command runs them only "
                   "when SURVEY_DATABASE_URL's user is a superuser)")
    p.add_argument("--connection-limit", type=int, default=5, help="connections all analysts "
                   "together may hold (default 5)")
    p.set_defaults(func=cmd_analyst_role)
    p = sub.add_parser("export", help="export the views, streamed, with a progress bar")
    p.add_argument("--format", choices=["parquet", "csv", "xlsx", "sav", "dta"],
                   default="parquet", help="sav/dta: SPSS/Stata, one file per questionnaire "
                   "with variable and value labels")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="labels in sav/dta files")
    p.add_argument("--from", dest="first", help="first month, e.g. 2025-01 (a year, quarter or "
                   "one-off period is exported when it overlaps the months)")
    p.add_argument("--to", dest="last", help="last month, e.g. 2026-10")
    p.add_argument("--out", default="export", help="folder to write (default: export/)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("schema-doc", help="print (or --write) docs/schema.md from the database")
    p.add_argument("--write", action="store_true")
    p.set_defaults(func=cmd_schema_doc)
    from survey.interop.commands import add_parsers as add_interop_parsers
    add_interop_parsers(sub)  # import-xlsform, export-xlsform, import-history
    from survey.calendar_cli import add_parsers as add_calendar_parsers
    add_calendar_parsers(sub)  # calendar status, import, template
    from survey.backup_commands import add_parsers as add_backup_parsers
    add_backup_parsers(sub)  # backup, restore, backups (docs/operations.md)
    return parser


def main(argv=None) -> int:
    from survey.periods import PeriodError
    from survey.store import StoreError
    args = build_parser().parse_args(argv)
    os.umask(0o077)  # exports and databases hold respondent-level data: the user's own files
    try:
        # a restore brings the code key: it needs none configured, and creates no key file
        cfg = config_module.resolve(need_key=getattr(args, "need_key", True))
        return args.func(args, cfg)
    except StoreError as exc:   # in both languages (a newer schema, a wrong key, ...)
        from survey.cli_messages import fail
        return fail(exc)
    except (PeriodError, config_module.ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        return 0
