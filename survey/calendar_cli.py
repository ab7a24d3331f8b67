"""`python -m survey calendar ...`: the holiday schedules from the command line (registered by
survey.cli). The same checks and store functions as the 工作日历 page."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from survey.cli_messages import say as _say

ACTOR = "cli"


def add_parsers(sub) -> None:
    p = sub.add_parser("calendar", help="holiday schedules: which years are covered, import a "
                       "year's schedule, the template")
    calendar_sub = p.add_subparsers(dest="calendar_command", required=True)
    q = calendar_sub.add_parser("status", help="where each year's working days come from, the "
                                "years still to enter, the coming deadlines")
    q.add_argument("--year", type=int, help="also list this year's schedule")
    q.set_defaults(func=cmd_status, need_key=False)   # reads only: creates no key file

    q = calendar_sub.add_parser("import", help="replace a year's schedule with a CSV/XLSX file "
                                "(nothing is written while any row is wrong)")
    q.add_argument("file")
    q.add_argument("--year", type=int, help="default: the year most of the file's dates are in")
    q.add_argument("--check", action="store_true", help="only check the file; write nothing")
    q.add_argument("--lang", choices=["en", "zh"], help="language of the file's problems "
                   "(default: both, Chinese then English)")
    q.set_defaults(func=cmd_import)
    q = calendar_sub.add_parser("template", help="write the import template (the official 2026 "
                                "schedule as the example)")
    q.add_argument("--out", default="holiday_schedule_template.csv", help=".csv or .xlsx")
    q.set_defaults(func=cmd_template, need_key=False)


def _store(cfg):
    from survey.store import Store
    return Store(cfg.store_target, cfg.code_key)


def _existing_store(cfg):
    """The database for a read-only command, or None (said in both languages) when the
    embedded file does not exist: such a command creates no database and no key file."""
    from survey.config import existing_key
    from survey.store import Store
    if cfg.database_url is None and not cfg.db_path.is_file():
        _say(f"There is no database {cfg.db_path}: nothing to show. Check SURVEY_DB (or start "
             "the app once, or `python -m survey init`, to create it).",
             f"数据库 {cfg.db_path} 不存在,没有可显示的内容。请检查 SURVEY_DB(或先启动一次应用、"
             "运行 `python -m survey init` 来创建)。", sys.stderr)
        return None
    key = cfg.code_key or existing_key(cfg.db_path)
    # no key anywhere: read without migrating or recording a key fingerprint
    return Store(cfg.store_target, key) if key else Store(cfg.store_target, b"", read_only=True)


def cmd_status(args, cfg, today: dt.date | None = None) -> int:
    from itertools import islice

    from survey.rounds import Rule, coming, weekday_label
    from survey.store import holidays
    from survey.store import rounds as round_store
    from survey.work_calendar import package_entries
    today = today or dt.date.today()
    opened = _existing_store(cfg)
    if opened is None:
        return 1
    with opened as store:
        calendar = holidays.work_calendar(store)
        for year in range(today.year - 1, today.year + 2):
            print(f"{year}: {calendar.describe(year, holidays.entries(store, year))}")
        for year in calendar.missing_schedules(today):
            print(f"enter the {year} schedule when the State Council publishes it: the "
                  f"工作日历 page, or `python -m survey calendar import FILE --year {year}`")
        if args.year:
            entries = holidays.entries(store, args.year) or package_entries(args.year)
            print(f"\n{args.year} ({calendar.source(args.year) or 'not covered'}):")
            for e in entries:
                print(f"  {e.kind:8} {e.first} .. {e.last}  {e.name}")
            if not entries:
                print("  nothing entered")
        print("\ncoming deadlines:")
        for qn in (q for q in store.current_questionnaires() if q.audience == "cadre"):
            rule = round_store.rule(store, qn.id) or Rule(qn.id)
            for rnd in islice(coming(rule, qn.period, today, calendar), 3):
                mark = " (estimated)" if rnd.estimated else ""
                print(f"  {qn.id} {rnd.period_key}: {weekday_label(rnd.deadline, 'en')}{mark}")
    return 0


def cmd_import(args, cfg) -> int:
    from survey.interop import holiday_file
    from survey.store import holidays
    source = Path(args.file)
    if not source.is_file():
        _say(f"error: there is no file {source}", f"错误:文件 {source} 不存在", sys.stderr)
        return 2
    result = holiday_file.read(source.read_bytes(), source.name, args.year)
    kind_zh = {"error": "错误", "warning": "提示"}
    for issue in result.issues:
        if args.lang != "en":
            print(f"{issue.text('zh')}  [{kind_zh.get(issue.kind, issue.kind)}]", file=sys.stderr)
        if args.lang != "zh":
            print(f"{issue.text('en')}  [{issue.kind}]", file=sys.stderr)
    if not result.ok:
        _say("nothing written: fix the rows above and run again",
             "未写入任何数据:请改正以上各行后重新运行。", sys.stderr)
        return 1
    if args.check:
        _say(f"{result.year}: {len(result.entries)} entries, ready to import",
             f"{result.year} 年:{len(result.entries)} 条,可以导入。")
        return 0
    with _store(cfg) as store:
        before = len(holidays.entries(store, result.year))
        holidays.replace_year(store, result.year, result.entries, ACTOR, source.name)
    _say(f"{result.year}: imported {len(result.entries)} entries (replacing {before}); "
         f"deadlines in {result.year} now follow this schedule",
         f"{result.year} 年:已导入 {len(result.entries)} 条(替换原有 {before} 条);"
         f"{result.year} 年的截止日即按此安排计算。")
    return 0


def cmd_template(args, cfg) -> int:
    from survey.interop import holiday_file
    out = Path(args.out)
    try:
        out.write_bytes(holiday_file.template("xlsx" if out.suffix.lower() == ".xlsx" else "csv"))
    except OSError as exc:
        _say(f"error: cannot write {out}: {exc.strerror}. Check that the folder {out.parent} "
             "exists and is writable.",
             f"错误:无法写入 {out}({exc.strerror})。请检查文件夹 {out.parent} 是否存在且可写。",
             sys.stderr)
        return 2
    _say(f"wrote {out}", f"已写入 {out}")
    return 0
