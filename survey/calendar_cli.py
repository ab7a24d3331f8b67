"""`python -m survey calendar ...`: the holiday schedules from the command line (registered by
survey.cli). The same checks and store functions as the 工作日历 page."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ACTOR = "cli"


def add_parsers(sub) -> None:
    p = sub.add_parser("calendar", help="holiday schedules: which years are covered, import a "
                       "year's schedule, the template")
    calendar_sub = p.add_subparsers(dest="calendar_command", required=True)
    q = calendar_sub.add_parser("status", help="where each year's working days come from, the "
                                "years still to enter, the coming deadlines")
    q.add_argument("--year", type=int, help="also list this year's schedule")
    q.set_defaults(func=cmd_status)
    q = calendar_sub.add_parser("import", help="replace a year's schedule with a CSV/XLSX file "
                                "(nothing is written while any row is wrong)")
    q.add_argument("file")
    q.add_argument("--year", type=int, help="default: the year most of the file's dates are in")
    q.add_argument("--check", action="store_true", help="only check the file; write nothing")
    q.add_argument("--lang", default="en", choices=["en", "zh"], help="language of messages")
    q.set_defaults(func=cmd_import)
    q = calendar_sub.add_parser("template", help="write the import template (the official 2026 "
                                "schedule as the example)")
    q.add_argument("--out", default="holiday_schedule_template.csv", help=".csv or .xlsx")
    q.set_defaults(func=cmd_template)


def _store(cfg):
    from survey.store import Store
    return Store(cfg.store_target, cfg.code_key)


def cmd_status(args, cfg, today: dt.date | None = None) -> int:
    from itertools import islice

    from survey.rounds import Rule, coming, weekday_label
    from survey.store import holidays
    from survey.store import rounds as round_store
    from survey.work_calendar import package_entries
    today = today or dt.date.today()
    with _store(cfg) as store:
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
        print(f"error: no file {source}", file=sys.stderr)
        return 2
    result = holiday_file.read(source.read_bytes(), source.name, args.year)
    for issue in result.issues:
        print(f"{issue.text(args.lang)}  [{issue.kind}]", file=sys.stderr)
    if not result.ok:
        print("nothing written: fix the rows above and run again", file=sys.stderr)
        return 1
    if args.check:
        print(f"{result.year}: {len(result.entries)} entries, ready to import")
        return 0
    with _store(cfg) as store:
        before = len(holidays.entries(store, result.year))
        holidays.replace_year(store, result.year, result.entries, ACTOR, source.name)
    print(f"{result.year}: imported {len(result.entries)} entries (replacing {before}); "
          f"deadlines in {result.year} now follow this schedule")
    return 0


def cmd_template(args, cfg) -> int:
    from survey.interop import holiday_file
    out = Path(args.out)
    out.write_bytes(holiday_file.template("xlsx" if out.suffix.lower() == ".xlsx" else "csv"))
    print(f"wrote {out}")
    return 0
