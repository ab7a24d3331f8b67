"""The interop subcommands of `python -m survey`: import-xlsform, export-xlsform,
import-history, and the .sav/.dta branch of export (registered by survey.cli)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from survey.cli_messages import LANG_HELP, say, say_each
from survey.domain import PERIOD_KINDS
from survey.errors import DomainError

ACTOR = "cli"


def add_parsers(sub) -> None:
    p = sub.add_parser("import-xlsform", help="turn an XLSForm (ODK/Kobo; .xlsx, .xls, .csv, .md) "
                       "into a questionnaire YAML file; lists what did not map")
    p.add_argument("form")
    p.add_argument("--out", help="YAML file to write (default: questionnaires/<form id>.yaml)")
    p.add_argument("--period", default="month", choices=list(PERIOD_KINDS),
                   help="how often it is answered (once: a one-off survey, with --opens and "
                   "--closes)")
    p.add_argument("--opens", type=day, help="with --period once: first day "
                   "(YYYY-MM-DD)")
    p.add_argument("--closes", type=day, help="with --period once: last day "
                   "(YYYY-MM-DD)")
    p.add_argument("--strict", action="store_true",
                   help="write nothing and exit 1 if any item did not map")
    p.add_argument("--lang", choices=["en", "zh"], help=LANG_HELP)
    p.set_defaults(func=cmd_import_xlsform, need_key=False)  # converting a file needs no key
    p = sub.add_parser("export-xlsform", help="write a questionnaire as an XLSForm (for ODK "
                       "Collect / KoboCollect), checked with pyxform")
    p.add_argument("questionnaire", help="a YAML file, or the id of a published questionnaire")
    p.add_argument("--version", type=int, help="published version (default: the newest)")
    p.add_argument("--out", help="default: <id>.xlsx")
    p.set_defaults(func=cmd_export_xlsform)
    p = sub.add_parser("import-history", help="load past periods from Excel/CSV (one row per "
                       "respondent and period); nothing is written unless the file is clean")
    p.add_argument("file")
    p.add_argument("--questionnaire", default="burden_monthly")
    p.add_argument("--valid-rows", action="store_true",
                   help="load the valid rows even though other rows have errors")
    p.add_argument("--check", action="store_true", help="only check the file; write nothing")
    p.add_argument("--lang", default="en", choices=["en", "zh"], help="language of messages")
    p.set_defaults(func=cmd_import_history)


def day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date YYYY-MM-DD") from None


_KIND_ZH = {"skipped": "未导入", "changed": "有改动", "note": "说明", "refused": "无法发布"}


def cmd_import_xlsform(args, cfg) -> int:
    from survey.interop.xlsform_import import import_xlsform
    lang, err = args.lang, sys.stderr
    source = Path(args.form)
    if not source.is_file():
        say(f"error: no file {source}", f"错误:找不到文件 {source}", err, lang)
        return 2
    dates = (args.opens, args.closes)
    if (args.period == "once") != all(dates) or (args.period != "once" and any(dates)):
        say("error: --period once needs --opens and --closes (YYYY-MM-DD), and only it takes "
            "them", "错误:--period once 需要 --opens 和 --closes(YYYY-MM-DD),其他周期不用这两项",
            err, lang)
        return 2
    result = import_xlsform(source, period=args.period, opens=args.opens, closes=args.closes)
    for issue in result.issues:
        say(f"{issue.text('en')}  [{issue.kind}]",
            f"{issue.text('zh')}  [{_KIND_ZH.get(issue.kind, issue.kind)}]", err, lang)
    if result.questionnaire is None:
        say("nothing imported", "未导入任何内容", err, lang)
        return 1
    if args.strict and result.lost:
        n = len(result.lost)
        say(f"--strict: {n} item(s) did not map; nothing written",
            f"--strict:{n} 项未能完整转换;未写入文件", err, lang)
        return 1
    out = Path(args.out) if args.out else cfg.questionnaire_dir / f"{result.questionnaire.id}.yaml"
    if out.exists() and not args.out:
        say(f"error: {out} exists; choose another file with --out",
            f"错误:{out} 已存在;请用 --out 另选文件", err, lang)
        return 2
    out.write_text(result.yaml_text, encoding="utf-8")
    n, lost = result.imported, len(result.lost)
    say(f"wrote {out}: {n} question(s); {lost} item(s) did not map (listed above). Check it "
        f"with: python -m survey validate {out}", f"已写入 {out}:{n} 道题;{lost} 项未能完整转换"
        f"(见上)。请用 python -m survey validate {out} 检查", lang=lang)
    return 0


def cmd_export_xlsform(args, cfg) -> int:
    from survey.interop.xlsform_export import check, to_xlsform
    from survey.questionnaire import parse_file
    path = Path(args.questionnaire)
    if path.suffix in (".yaml", ".yml"):
        qn, problems = parse_file(path)
        say_each([p.bilingual() for p in problems])
        if qn is None:
            return 1
    else:
        from survey.cli import _store
        with _store(cfg) as store:
            versions = [v["version"] for v in store.questionnaire_versions()
                        if v["questionnaire_id"] == args.questionnaire]
            if not versions:
                print(f"error: no questionnaire '{args.questionnaire}' is published",
                      file=sys.stderr)
                return 2
            qn = store.questionnaire(args.questionnaire, args.version or max(versions))
    data = to_xlsform(qn)
    errors = check(data)
    for error in errors:
        print(f"pyxform: {error}", file=sys.stderr)
    out = Path(args.out or f"{qn.id}.xlsx")
    out.write_bytes(data)
    print(f"wrote {out} ({qn.ref}); pyxform converts it" + (" WITH ERRORS" if errors else ""))
    return 1 if errors else 0


def cmd_import_history(args, cfg) -> int:
    from survey.cli import _store
    from survey.interop import history_import
    path = Path(args.file)
    if not path.is_file():
        print(f"error: no file {path}", file=sys.stderr)
        return 2
    with _store(cfg) as store:
        report = history_import.read(store, path.read_bytes(), path.name, cfg.code_key,
                                     args.questionnaire)
        for issue in report.notes + report.issues:
            print(issue.text(args.lang), file=sys.stderr)
        span = report.periods()
        print(f"{path.name}: {report.data_rows} row(s), {len(report.rows)} valid"
              + (f", periods {span[0]} to {span[1]}" if span else "")
              + (f", {len(report.issues)} error(s) in {report.bad_rows} row(s)"
                 if report.issues else ""))
        if args.check:
            return 1 if report.issues else 0
        if report.issues and not args.valid_rows:
            print("nothing written: fix the errors above, or load the valid rows with "
                  "--valid-rows", file=sys.stderr)
            return 1
        summary = history_import.load(store, report, ACTOR, valid_rows_only=args.valid_rows)
    print(f"written: {summary.written} submission(s) ({summary.revised} revision(s)); already "
          f"loaded: {summary.unchanged}")
    return 0


def cmd_export_stat(args, cfg, con, questionnaire_for) -> int:
    """export --format sav|dta: one file per questionnaire (in parts for large data)."""
    from survey.interop import stat_files
    from survey.store import stat_pivot
    for qid in stat_pivot.questionnaire_ids(con):
        for path, rows in stat_files.export(con, questionnaire_for, qid, args.format,
                                            Path(args.out), args.lang, args.first, args.last):
            print(f"{path}: {rows:,} rows")
    print(f"written to {args.out}")
    return 0


def questionnaire_lookup(store, cfg):
    """(id, version) -> Questionnaire: from the database, or (the app holds it) the files."""
    if store is not None:
        return store.questionnaire
    from survey.questionnaire import load_dir
    found = {(q.id, q.version): q for q in load_dir(cfg.questionnaire_dir).valid}

    def lookup(qid: str, version: int):
        if (qid, version) not in found:
            raise DomainError(
                f"the app is running, so the export reads the snapshot and the questionnaire "
                f"files, and {qid} version {version} is not in {cfg.questionnaire_dir} (the "
                "database keeps it). Stop the app and export again: the export then reads "
                "every stored version from the database",
                f"应用正在运行,导出读取的是分析快照和问卷文件,而 {cfg.questionnaire_dir} 中没有 "
                f"{qid} 第 {version} 版(数据库中保存着它)。请停止应用后重新导出:"
                "届时将从数据库读取所有已保存的版本")
        return found[(qid, version)]
    return lookup
