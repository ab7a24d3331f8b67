"""Historical data from Excel or CSV: read, map columns, validate every row, report by row.

A history file has one row per respondent (or per point) and period: an anonymous respondent
column (hashed on import like a code: the value itself is never stored), the point id, the
period, and one column per question, headed by the question id, its indicator, or its Chinese
or English label ("收文数量", "documents", "本月收到上级文件…"). .xlsx/.xls (every sheet with such
a header) and .csv (UTF-8 or GBK/GB18030) are read; so is the platform's own export workbook
(`python -m survey export --format xlsx`: the submissions and answers sheets).

Every row is validated against the questionnaire version in force in its period, with the same
answer rules as the form. Nothing is written unless the file is clean, or the admin asks for
the valid rows only (survey.store.history writes them; loading twice adds nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from survey import answers as answer_rules
from survey import periods
from survey.errors import DomainError
from survey.indicators import INDICATORS
from survey.interop import zip_limits
from survey.interop.issues import Issue
from survey.questionnaire import Questionnaire
from survey.store import Store
from survey.store import history as history_store

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
MAX_ROWS = 500_000

_RESPONDENT = {"respondent", "respondent_id", "respondent_key", "respondent_code", "填报人编号",
               "填报人代码", "受访者编号", "匿名编号", "填报人", "受访者"}
_POINT = {"point_id", "point", "point_code", "监测点编号", "监测点代码", "点位编号", "监测点id",
          "监测点id号"}
_PERIOD = {"period", "period_key", "month", "期次", "月份", "报告期", "填报月份", "统计月份",
           "所属月份", "年月"}
_QUESTIONNAIRE = {"questionnaire_id", "questionnaire", "问卷", "问卷编号"}
_VERSION = {"questionnaire_version", "version", "问卷版本"}
# columns of the platform's own exports and usual descriptive columns: read past, not data
_IGNORED = {"submission_id", "revision", "submitted_at", "period_start", "is_demo",
            "duration_s", "is_kept", "name", "监测点", "监测点名称", "点位名称", "region",
            "prefecture", "county", "township", "地区", "市", "县", "乡镇", "level", "kind",
            "序号", "no", "#"}
_YES = {"是", "yes", "y", "1", "true", "有", "对", "√"}
_NO = {"否", "no", "n", "0", "false", "无", "没有", "×"}
_HEX_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class HistoryReport:
    file: str
    sha256: str
    questionnaire_id: str
    rows: list[history_store.HistoryRow] = field(default_factory=list)  # the valid rows
    issues: list[Issue] = field(default_factory=list)  # errors: blocking unless valid-only
    notes: list[Issue] = field(default_factory=list)  # information (sheets read past ...)
    data_rows: int = 0
    header_rows: set = field(default_factory=set)  # (sheet, row) of the header rows read

    @property
    def clean(self) -> bool:
        return not self.issues

    @property
    def bad_rows(self) -> int:
        """Data rows with at least one error (a row with two errors counts once; an error of
        a header, e.g. a column that is not a question, is no data row)."""
        return len({(i.sheet, i.row) for i in self.issues if i.row and i.row > 1
                    and (i.sheet, i.row) not in self.header_rows})

    def periods(self) -> tuple[str, str] | None:
        keys = sorted(r.period_key for r in self.rows)
        return (keys[0], keys[-1]) if keys else None


def respondent_key(value: str, point_id: str, code_key: bytes) -> str:
    """The pseudonym of a history file's respondent value: a keyed hash (like a code's), bound
    to the point; the value itself is never stored."""
    message = f"history|{point_id}|{value}".encode("utf-8")
    return hmac.new(code_key, message, hashlib.sha256).hexdigest()[:32]


def read(store: Store, data: bytes, name: str, code_key: bytes,
         questionnaire_id: str = "burden_monthly", today: dt.date | None = None) -> HistoryReport:
    """Read and validate a history file (its bytes and its file name)."""
    report = HistoryReport(name, hashlib.sha256(data).hexdigest(), questionnaire_id)
    sheets, refused = open_sheets(data, name)
    if refused:
        report.issues.append(refused)
        return report
    _Validator(store, report, code_key, today or dt.date.today()).run(sheets)
    return report


def load(store: Store, report: HistoryReport, actor: str, valid_rows_only: bool = False
         ) -> history_store.LoadSummary:
    """Write a read report's rows; refused when it has errors unless valid_rows_only."""
    from survey.store import StoreError
    if report.issues and not valid_rows_only:
        raise StoreError(f"{report.file} has {len(report.issues)} error(s); fix them, or load "
                         "only the valid rows", f"{report.file} 有 {len(report.issues)} 处错误;"
                         "请修改后重新上传,或选择只导入无误的行")
    return history_store.load(store, report.rows, report.file, report.sha256, actor)


# -- reading the file ------------------------------------------------------------------------
def open_sheets(data: bytes, name: str, suffixes: tuple[str, ...] = SUFFIXES
                ) -> tuple[list[tuple[str, list[list]]] | None, Issue | None]:
    """A spreadsheet's sheets as rows, or the error saying why not (not a spreadsheet, one
    that would unzip to too much, a corrupt file), never an exception."""
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        allowed = ", ".join(suffixes)
        return None, Issue(name, "-", None, f"'{suffix or name}' is not a spreadsheet; upload "
                           f"{allowed}", f"“{suffix or name}”不是表格文件;请上传 "
                           f"{'、'.join(suffixes)} 文件", kind="error")
    refused = zip_limits.too_large(data, name)
    if refused:
        return None, refused
    try:
        return _sheets(data, suffix, Path(name).stem), None
    except DomainError as exc:   # a reason said in both languages
        return None, Issue(name, "-", None, exc.en, exc.zh or exc.en, kind="error")
    except Exception as exc:  # noqa: BLE001 - a corrupt file: say so, never crash the page
        # the library's (English) words in the English message only
        return None, Issue(name, "-", None, f"the file cannot be read ({type(exc).__name__}: "
                           f"{exc}); open it in Excel, save it again and retry",
                           "无法读取该文件(文件已损坏,或不是它的扩展名所说的格式);"
                           "请用 Excel 打开后重新保存再试", kind="error")


def _sheets(data: bytes, suffix: str, stem: str) -> list[tuple[str, list[list]]]:
    if suffix == ".csv":
        return [(stem, _csv_rows(data))]
    if suffix == ".xls":
        import xlrd
        book = xlrd.open_workbook(file_contents=data)
        out = []
        for sheet in book.sheets():
            rows = []
            for r in range(sheet.nrows):
                rows.append([_xls_value(cell, book.datemode) for cell in sheet.row(r)])
            out.append((sheet.name, rows))
        return out
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
                  for ws in book.worksheets]
    finally:
        book.close()
    if _has_formulas(data):
        _mark_formulas(data, sheets)
    return sheets


class Formula(str):
    """A formula cell without a computed value (a file written by a program, not saved by
    Excel): its text, so the error can say it is a formula rather than an empty cell."""


def _has_formulas(data: bytes) -> bool:
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for info in book.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with book.open(info) as sheet:
                    tail = b""
                    while chunk := sheet.read(1 << 20):
                        if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                            return True
                        tail = chunk[-3:]
    return False


def _mark_formulas(data: bytes, sheets) -> None:
    """Put Formula(text) where a formula has no stored result (data_only read None)."""
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for (_title, rows), ws in zip(sheets, book.worksheets):
            for row, formulas in zip(rows, ws.iter_rows(values_only=True)):
                for col, text in enumerate(formulas):
                    if (col < len(row) and row[col] is None and isinstance(text, str)
                            and text.startswith("=")):
                        row[col] = Formula(text)
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError("the CSV is neither UTF-8 nor GBK text (is it a CSV file at all?); "
                          "in Excel save it as 'CSV UTF-8' and upload again",
                          "该 CSV 文件既不是 UTF-8 也不是 GBK 文本(是否确为 CSV 文件?);"
                          "请在 Excel 中另存为“CSV UTF-8”后重新上传")
    return [row for row in csv.reader(io.StringIO(text))]


def _xls_value(cell, datemode):
    import xlrd
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate_as_datetime(cell.value, datemode)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value


def normalize_header(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    text = re.sub(r"\([^)]*\)$", "", text)  # a trailing unit: 会议时长(小时)
    return re.sub(r"[\s?:,。、]+", "", text)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


# -- validation ------------------------------------------------------------------------------
class _Validator:
    def __init__(self, store: Store, report: HistoryReport, code_key: bytes, today: dt.date):
        self.store = store
        self.report = report
        self.code_key = code_key
        self.today = today
        self.points = {p.point_id: p for p in store.points()}
        self.points_ci = {p.point_id.upper(): p for p in self.points.values()}
        self.versions = history_store.versions_in_force(store, report.questionnaire_id)
        self.models: dict[int, Questionnaire] = {}
        self.seen: dict[tuple, tuple[str, int]] = {}
        self.history_keys = history_store.history_respondents(store)
        self.owners: dict[str, str] = {}  # pseudonyms in the file -> their point
        # the headers of the special columns as the file spells them (errors name them so)
        self.titles = {"point": "point_id", "period": "period_key", "respondent":
                       "respondent_key", "version": "questionnaire_version"}

    def title(self, role: str) -> str:
        return self.titles[role]

    def known_keys(self, values) -> None:
        """Look the file's pseudonymous respondent keys up at once (the platform's export)."""
        keys = sorted({_text(v).strip() for v in values if _HEX_KEY.match(_text(v).strip())})
        for start in range(0, len(keys), 10_000):
            self.owners.update(history_store.existing_respondents(self.store,
                                                                  keys[start:start + 10_000]))

    def error(self, sheet, row, item, en, zh) -> None:
        self.report.issues.append(Issue(self.report.file, sheet, row, en, zh, item, "error"))

    def run(self, sheets) -> None:
        if not self.versions:
            self.error("-", None, "", f"questionnaire '{self.report.questionnaire_id}' is not "
                       "published; publish it first (questionnaires page or python -m survey "
                       "publish)", f"问卷“{self.report.questionnaire_id}”尚未发布;请先发布")
            return
        names = {n for n, _ in sheets}
        if {"submissions", "answers"} <= names:
            self._platform_export(dict(sheets))
            return
        used = 0
        for sheet, rows in sheets:
            used += self._sheet(sheet, rows)
        if not used:
            self.error(sheets[0][0] if sheets else "-", 1, "", "no sheet has a point id and a "
                       "period column; head the columns e.g. 监测点编号, 期次, 填报人编号 and "
                       "one column per question", "没有找到含监测点编号和期次列的工作表;请使用"
                       "“监测点编号、期次、填报人编号”及每题一列作为表头")

    def question_columns(self) -> dict[str, tuple[str, str | None]]:
        """Normalised header -> (question id, matrix row) over every version."""
        names: dict[str, tuple[str, str | None]] = {}
        for version, _ in self.versions:
            for q in self.model(version).questions:
                keys = [q.id, q.label.zh, q.label.en]
                if q.indicator:
                    ind = INDICATORS[q.indicator]
                    keys += [q.indicator, ind.zh, ind.en]
                for key in keys:
                    if key:
                        names.setdefault(normalize_header(key), (q.id, None))
                for r in q.rows:
                    for key in (f"{q.id}__{r.id}", f"{q.id}.{r.id}", f"{q.label.zh}-{r.label.zh}"):
                        names.setdefault(normalize_header(key), (q.id, r.id))
        return names

    def model(self, version: int) -> Questionnaire:
        if version not in self.models:
            self.models[version] = self.store.questionnaire(self.report.questionnaire_id, version)
        return self.models[version]

    def version_for(self, period_end: dt.date) -> int:
        """The version in force then: the newest published by the end of the period; history
        from before the first publication uses the first version."""
        published = [v for v, at in self.versions if at.date() <= period_end]
        return published[-1] if published else self.versions[0][0]

    # -- a wide sheet ----------------------------------------------------------------------
    def _sheet(self, sheet: str, rows: list[list]) -> int:
        header_at = next((i for i, row in enumerate(rows[:10])
                          if any(normalize_header(c) in _POINT for c in row)), None)
        if header_at is None:
            if any(not _blank(c) for row in rows for c in row):
                self.report.notes.append(Issue(self.report.file, sheet, 1, "sheet read past: it "
                                               "has no point id column (监测点编号)",
                                               "未读取该工作表:没有监测点编号列", kind="note"))
            return 0
        header = rows[header_at]
        self.report.header_rows.add((sheet, header_at + 1))
        columns, special = {}, {}
        known = self.question_columns()
        for col, title in enumerate(header):
            norm = normalize_header(title)
            if not norm:
                continue
            for role, words in (("respondent", _RESPONDENT), ("point", _POINT),
                                ("period", _PERIOD), ("questionnaire", _QUESTIONNAIRE),
                                ("version", _VERSION)):
                if norm in words:
                    special[role] = col
                    self.titles[role] = str(title).strip()
                    break
            else:
                if norm in known:
                    columns[col] = (str(title).strip(), *known[norm])
                elif norm not in _IGNORED:
                    self.error(sheet, header_at + 1, str(title), f"column '{title}' is not a "
                               f"question of {self.report.questionnaire_id}; rename it to a "
                               "question id or its Chinese label, or delete the column (names "
                               "and other personal data are not imported)",
                               f"列“{title}”不是问卷 {self.report.questionnaire_id} 的题目;请改为"
                               "题目编号或中文题目,或删除该列(不导入姓名等个人信息)")
        if "period" not in special:
            self.error(sheet, header_at + 1, "", "there is no period column; add one headed 期次 "
                       "with values like 2025-03", "缺少期次列;请增加“期次”列,值如 2025-03")
            return 1
        if "respondent" in special:
            col = special["respondent"]
            self.known_keys(r[col] for r in rows[header_at + 1:] if col < len(r))
        for i, row in enumerate(rows[header_at + 1:], start=header_at + 2):
            if all(_blank(c) for c in row):
                continue
            self.report.data_rows += 1
            if self.report.data_rows > MAX_ROWS:
                self.error(sheet, i, "", f"more than {MAX_ROWS:,} rows; split the file",
                           f"超过 {MAX_ROWS:,} 行;请拆分文件")
                return 1
            cell = lambda col: row[col] if col is not None and col < len(row) else None  # noqa
            raw = {col: cell(col) for col in columns}
            self._row(sheet, i, cell(special.get("respondent")), cell(special["point"]),
                      cell(special["period"]), cell(special.get("version")),
                      {columns[c]: v for c, v in raw.items()},
                      header_has_respondent="respondent" in special)
        return 1

    def _row(self, sheet, i, respondent, point_id, period, version, cells,
             header_has_respondent=True) -> None:
        point_id = "" if _blank(point_id) else unicodedata.normalize(
            "NFKC", _text(point_id)).strip()
        point = self.points.get(point_id) or self.points_ci.get(point_id.upper())
        if point is None:
            self.error(sheet, i, self.title("point"), f"unknown point id '{point_id}'; add the point on "
                       "the points page first, or correct the id" if point_id else
                       "the point id is empty; fill it in", f"监测点编号“{point_id}”不存在;"
                       "请先在监测点页面添加,或改正编号" if point_id else "监测点编号为空;请填写")
            return
        point_id = point.point_id  # " h-vil-01 " as typed -> H-VIL-01 as registered
        period_key = self._period(sheet, i, period)
        if period_key is None:
            return
        start, end = periods.bounds(self.kind, period_key)
        if version is not None and not _blank(version):
            try:
                number = int(float(version))
                model = self.model(number)
            except Exception:  # noqa: BLE001 - not a number or not published
                self.error(sheet, i, self.title("version"), f"questionnaire version "
                           f"'{version}' is not published; use a published version or delete "
                           "the column", f"问卷版本“{version}”未发布;请改为已发布版本或删除该列")
                return
        else:
            model = self.model(self.version_for(end))
        key, history = self._respondent(sheet, i, respondent, point_id, header_has_respondent)
        if key is None:
            return
        answers, ok = {}, True
        for (title, qid, row_id), value in cells.items():
            try:
                q = model.question(qid)
            except KeyError:
                if not _blank(value):
                    self.error(sheet, i, title, f"'{title}' is not asked in version "
                               f"{model.version} (in force in {period_key}); leave the cell "
                               "empty", f"“{title}”不在 {period_key} 适用的第 {model.version} "
                               "版问卷中;请留空")
                    ok = False
                continue
            if _blank(value):
                continue
            if isinstance(value, Formula):
                self.error(sheet, i, title, f"column '{title}': the cell holds the formula "
                           f"{_shown(value)} without a computed value (the file was not saved by "
                           "Excel); in Excel copy the column and paste it as values, save and "
                           "upload again", f"列“{title}”:该单元格是公式 {_shown(value)},没有"
                           "计算结果(文件不是用 Excel 保存的);请在 Excel 中复制该列并“粘贴为数值”,"
                           "保存后重新上传")
                ok = False
                continue
            if isinstance(value, dict):  # a matrix from the platform's export
                converted = {r: _convert(q, v)[0] for r, v in value.items()}
                problem = None if None not in converted.values() else (
                    "a row has an unknown choice", "某行的选项不存在")
            else:
                converted, problem = _convert(q, value)
            if problem:
                self.error(sheet, i, title, f"column '{title}': {problem[0]}",
                           f"列“{title}”:{problem[1]}")
                ok = False
            elif row_id:
                answers.setdefault(qid, {})[row_id] = converted
            else:
                answers[qid] = converted
        if not ok:
            return
        titles = {qid: title for (title, qid, _r) in cells}
        problems = answer_rules.validate(model, answers)
        for qid, message in problems.items():
            title = titles.get(qid, qid)
            value = answers.get(qid)
            if _blank(value):
                self.error(sheet, i, title, f"column '{title}': {message.en} The cell is "
                           "empty; fill it in", f"列“{title}”:{message.zh}该单元格为空;请填写")
            else:
                self.error(sheet, i, title, f"column '{title}': {message.en} (value: "
                           f"{_shown(value)}); correct the cell in the file and upload it "
                           "again", f"列“{title}”:{message.zh}(当前值:{_shown(value)});"
                           "请在文件中改正该单元格后重新上传")
            ok = False
        shown = answer_rules.visibility(model, answers)
        for qid, value in answers.items():
            if shown.get(qid, True):
                continue
            q = model.question(qid)
            names = [n for n in (q.relevant.names if q.relevant else ()) if n in shown]
            if any(n in problems for n in names):
                continue  # the cause is reported already; fixing it may ask the question
            causes = [titles.get(n, n) for n in names]
            cause_en = ", ".join(f"'{c}'" for c in causes) or "the other answers"
            cause_zh = "、".join(f"“{c}”" for c in causes) or "其他回答"
            title = titles.get(qid, qid)
            self.error(sheet, i, title, f"column '{title}' has an answer ({_shown(value)}) but "
                       f"the question is not asked given {cause_en} in this row, so it would "
                       f"be dropped; clear the cell, or correct {cause_en}",
                       f"列“{title}”有答案({_shown(value)}),但按本行{cause_zh}的回答,该题"
                       f"不应填写,导入时会被舍弃;请清空该单元格,或改正{cause_zh}")
            ok = False
        slot = (key, point_id, period_key)
        if slot in self.seen:
            first = self.seen[slot]
            self.error(sheet, i, "", f"the same respondent, point and period ({period_key}) as "
                       f"row {first[1]} of sheet {first[0]}; keep one of the two rows",
                       f"与工作表 {first[0]} 第 {first[1]} 行的填报人、监测点和期次({period_key})"
                       "相同;请只保留一行")
            return
        self.seen[slot] = (sheet, i)
        if ok:
            self.report.rows.append(history_store.HistoryRow(
                key, point, model, period_key, answers, sheet, i, history))

    @property
    def kind(self) -> str:
        return self.model(self.versions[-1][0]).period

    def _period(self, sheet, i, value) -> str | None:
        key = parse_period(value, self.kind)
        if key is None:
            window = periods.window(self.kind)
            example = window[0].isoformat() if window else {
                "month": "2025-03", "quarter": "2025-Q1", "week": "2025-W09",
                "year": "2025"}[self.kind]
            self.error(sheet, i, self.title("period"), f"period '{_shown(value)}' is not a {self.kind}; write "
                       f"it like {example}", f"期次“{_shown(value)}”格式不对;请写成 {example}")
            return None
        if periods.bounds(self.kind, key)[0] > self.today:
            self.error(sheet, i, self.title("period"), f"period {key} has not begun; history is for past "
                       "periods", f"期次 {key} 尚未开始;只能导入过去的期次")
            return None
        return key

    def _respondent(self, sheet, i, value, point_id, has_column) -> tuple[str | None, bool]:
        if not has_column:
            return respondent_key("", point_id, self.code_key), True  # one per point
        if _blank(value):
            self.error(sheet, i, self.title("respondent"), "the respondent column is empty; fill in the "
                       "anonymous respondent number used in the old records",
                       "填报人编号为空;请填写原记录中的匿名编号")
            return None, False
        text = _text(value).strip()
        if _HEX_KEY.match(text):  # a pseudonym from the platform's own export
            owner = self.owners.get(text)
            if owner is not None and owner != point_id:
                self.error(sheet, i, self.title("respondent"), f"respondent key {text[:8]}… belongs to "
                           f"point {owner}, not {point_id}; correct the point id",
                           f"填报人 {text[:8]}… 属于监测点 {owner},不是 {point_id};请改正")
                return None, False
            return text, owner is None or text in self.history_keys
        return respondent_key(text, point_id, self.code_key), True

    # -- the platform's own export ---------------------------------------------------------
    def _platform_export(self, sheets: dict) -> None:
        subs = _records(sheets["submissions"])
        answers = _records(sheets["answers"])
        self.known_keys(r.get("respondent_key") for r in subs)
        by_submission: dict[str, dict] = {}
        for record in answers:
            sid = record.get("submission_id")
            qid, row_id = record.get("question_id"), record.get("row_id") or None
            if not sid or not qid:
                continue
            value = _export_value(record)
            if value is None:
                continue
            target = by_submission.setdefault(str(sid), {})
            if row_id:
                target.setdefault((qid, None), {})[str(row_id)] = value
            else:
                target[(qid, None)] = value
        for i, record in enumerate(subs, start=2):
            if record.get("questionnaire_id") != self.report.questionnaire_id:
                continue
            self.report.data_rows += 1
            cells = {(qid, qid, None): v for (qid, _), v in
                     by_submission.get(str(record.get("submission_id")), {}).items()}
            self._row("submissions", i, record.get("respondent_key"), record.get("point_id"),
                      record.get("period_key"), record.get("questionnaire_version"), cells)


def _records(rows: list[list]) -> list[dict]:
    if not rows:
        return []
    header = [str(c or "").strip() for c in rows[0]]
    return [dict(zip(header, row)) for row in rows[1:] if any(not _blank(c) for c in row)]


def _export_value(record: dict):
    kind = record.get("type")
    if kind == "multiple_choice":
        text = record.get("value_choices")
        return [] if _blank(text) else [c.strip() for c in str(text).strip("[]").split(",")]
    if kind == "yes_no":
        return record.get("value_bool")
    if kind == "date":
        return record.get("value_date")
    if kind in ("integer", "decimal"):
        return record.get("value_num")
    return record.get("value_text")


def parse_period(value, kind: str) -> str | None:
    """2025-03, 2025/3, 2025.03, 202503, 2025年3月, a date cell -> 2025-03 (and quarter, week,
    year: 2025 / 2025年; a one-off survey: a day within its window)."""
    if isinstance(value, (dt.datetime, dt.date)):
        day = value.date() if isinstance(value, dt.datetime) else value
        try:
            return periods.key_for(kind, day)
        except periods.PeriodError:
            return None  # outside a one-off survey's window
    text = unicodedata.normalize("NFKC", _text(value)).strip()
    if kind == "year":
        m = re.fullmatch(r"(\d{4})\s*(年度?)?", text)
        return m[1] if m else None
    if periods.window(kind) is not None:
        m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?( 00:00:00)?", text)
        try:
            return parse_period(dt.date(int(m[1]), int(m[2]), int(m[3])), kind) if m else None
        except ValueError:
            return None
    if kind == "month":
        m = (re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(份)?", text)
             or re.fullmatch(r"(\d{4})(\d{2})", text))
        if m and 1 <= int(m[2]) <= 12:
            return f"{int(m[1]):04d}-{int(m[2]):02d}"
        m = re.fullmatch(r"(\d{4})-(\d{2})-\d{2}( 00:00:00)?", text)
        if m and 1 <= int(m[2]) <= 12:
            return f"{m[1]}-{m[2]}"
        return None
    if kind == "quarter":
        m = re.fullmatch(r"(\d{4})\s*(?:-?Q|年第?)\s*([1-4])\s*(季度)?", text, re.I)
        return f"{m[1]}-Q{m[2]}" if m else None
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text, re.I)
    if not m:
        return None
    key = f"{m[1]}-W{int(m[2]):02d}"
    try:
        periods.bounds("week", key)
    except periods.PeriodError:
        return None
    return key


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _shown(value) -> str:
    text = _text(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def _convert(q, value) -> tuple[object, tuple[str, str] | None]:
    """A cell -> an answer value of the question's type, or (what is wrong, in en and zh)."""
    kind = q.type
    if kind in ("integer", "decimal"):
        number = _number(value)
        if number is None:
            return None, (f"'{_shown(value)}' is not a number; write digits, e.g. 12",
                          f"“{_shown(value)}”不是数字;请填写阿拉伯数字,如 12")
        if kind == "integer":
            if not number.is_integer():
                return None, (f"{_shown(value)} is not a whole number; write a whole number "
                              f"(e.g. {int(number)}) in the cell",
                              f"{_shown(value)} 不是整数;请填写整数(如 {int(number)})")
            return int(number), None
        return number, None
    if kind in ("single_choice", "likert", "matrix"):
        code = _choice(q, value)
        if code is None:
            options = ", ".join(f"{c.value}={c.label.zh}" for c in q.choices)
            return None, (f"'{_shown(value)}' is not one of the choices ({options})",
                          f"“{_shown(value)}”不是可选项({options})")
        return code, None
    if kind == "multiple_choice":
        parts = [p for p in re.split(r"[;,，、；|]", _text(value)) if p.strip()]
        codes = [_choice(q, p) for p in parts]
        if None in codes:
            bad = parts[codes.index(None)]
            return None, (f"'{bad.strip()}' is not one of the choices", f"“{bad.strip()}”不是可选项")
        return codes, None
    if kind == "yes_no":
        text = unicodedata.normalize("NFKC", _text(value)).strip().lower()
        if isinstance(value, bool):
            return value, None
        if text in _YES:
            return True, None
        if text in _NO:
            return False, None
        return None, (f"'{_shown(value)}' is not yes or no; write 是 or 否",
                      f"“{_shown(value)}”不是“是/否”;请填写 是 或 否")
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat(), None
        if isinstance(value, dt.date):
            return value.isoformat(), None
        m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?",
                         unicodedata.normalize("NFKC", _text(value)).strip())
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat(), None
        except (TypeError, ValueError):
            return None, (f"'{_shown(value)}' is not a date; write it like 2025-03-31",
                          f"“{_shown(value)}”不是日期;请写成 2025-03-31")
    # text: stored verbatim (numbers Excel made of it back as they were typed)
    return _text(value), None


def _choice(q, value) -> str | None:
    text = unicodedata.normalize("NFKC", _text(value)).strip()
    for c in q.choices:
        if text == c.value:
            return c.value
    wanted = normalize_header(text)
    for c in q.choices:
        if wanted in (normalize_header(c.label.zh), normalize_header(c.label.en)):
            return c.value
    return None
