"""The monthly briefing (简报) for a region, to forward unchanged: one self-contained HTML file
(charts embedded as PNG, no scripts, opens offline, fits a phone, prints on A4) and the same
tables as an XLSX workbook (numbers stored as numbers with number formats, a sheet of
definitions).

Both are built from one list of Sheets: a frame of raw values (hidden figures are empty, never
zero) and the format of each column (or of each cell, where shares and means share a column).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd

from survey import charts, domain, early_warning, form_burden, safe_files, trends
from survey.i18n import t
from survey.indicators import INDICATORS
from survey.leader_config import IndexDefinition, WarningRule
from survey.metrics import Filter
from survey.store import Store

CHARTED = ("meetings", "form_hours", "inspections", "satisfaction")
TREND_MONTHS = 24

# Format keys -> (Excel number format, Python formatter for the HTML). Changes of shares are
# percentage points, of means (new - old) / old.
_PP = {"zh": "个百分点", "en": "pp"}
FORMATS = {
    "pct": ("0%", lambda v, lang: f"{v:.0%}"),
    "dec1": ("0.0", lambda v, lang: f"{v:.1f}"),
    "int": ("0", lambda v, lang: f"{v:.0f}"),
    "chg": ("+0.0%;-0.0%;0.0%", lambda v, lang: f"{v:+.1%}"),
    "pp": (None, lambda v, lang: f"{v:+.1f} {_PP[lang]}"),
    "text": ("@", lambda v, lang: str(v)),
}


def excel_format(key: str, lang: str) -> str | None:
    if key == "pp":
        unit = _PP[lang]
        return f'+0.0" {unit}";-0.0" {unit}";0.0" {unit}"'
    return FORMATS[key][0]


def show(value, key: str, lang: str) -> str:
    """A cell as text for the HTML; hidden or missing figures are —."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return FORMATS[key][1](value, lang)


@dataclass
class Sheet:
    title: str
    frame: pd.DataFrame
    formats: dict = field(default_factory=dict)  # column -> format key, or a list (one per row)

    def format_of(self, column: str, row: int) -> str:
        spec = self.formats.get(column, "text")
        return spec if isinstance(spec, str) else spec[row]


# -- the figures --------------------------------------------------------------------------------

def _value_format(indicator: str) -> str:
    return "pct" if trends.shown_as_share(indicator) else "dec1"


def _change_format(indicator: str) -> str:
    return "pp" if trends.shown_as_share(indicator) else "chg"


def _measure(indicator: str, lang: str) -> str:
    """What the figure is: a share of cadres, or a mean per cadre in a unit."""
    info = INDICATORS[indicator]
    if info.aggregate == "share":
        return t("share_yes", lang)
    if info.aggregate == "likert":
        return t("share_low2" if info.lower_is_better else "share_top2", lang)
    return t("mean_per_cadre", lang, unit=trends.indicator_unit(indicator, lang))


def headline_sheet(rows: pd.DataFrame, k: int, lang: str) -> Sheet:
    """The headline figures: this month, the changes as numbers, each change's 95 % interval
    (numbers in the change's format) and what it says (明显上升 / 明显下降 / 无明显变化: the
    interval spans no change), so a reader of the workbook sees which changes are real."""
    theme_of = {i: theme for theme, first, more in trends.THEMES for i in first + more}
    frame = pd.DataFrame([{
        "theme": t(theme_of[r["indicator"]], lang),
        "indicator": trends.indicator_label(r["indicator"], lang),
        "measure": _measure(r["indicator"], lang),
        "figure": _round(r["figure"], 4), "yoy": _round(r["change"], 4),
        "pop": _round(r["change_prev"], 4),
        "n": r["n"],
        "note": t("suppressed_note", lang, k=k) if r["suppressed"] else "",
        "yoy_verdict": verdict(r["change"], r.get("change_clear"), lang),
        "yoy_low": _round(r.get("change_low"), 4), "yoy_high": _round(r.get("change_high"), 4),
        "pop_verdict": verdict(r["change_prev"], r.get("change_prev_clear"), lang),
        "pop_low": _round(r.get("change_prev_low"), 4),
        "pop_high": _round(r.get("change_prev_high"), 4)}
        for _, r in rows.iterrows()])
    names = {"theme": t("col_theme", lang), "indicator": t("indicator", lang),
             "measure": t("col_measure", lang), "figure": t("col_this_month", lang),
             "yoy": t("col_change_yoy", lang), "pop": t("col_change_pop", lang),
             "n": t("chart_n", lang), "note": t("col_note", lang),
             "yoy_verdict": t("col_yoy_verdict", lang), "yoy_low": t("col_yoy_low", lang),
             "yoy_high": t("col_yoy_high", lang), "pop_verdict": t("col_pop_verdict", lang),
             "pop_low": t("col_pop_low", lang), "pop_high": t("col_pop_high", lang)}
    indicators = list(rows["indicator"])
    changes = [_change_format(i) for i in indicators]
    formats = {"figure": [_value_format(i) for i in indicators], "n": "int",
               **{column: changes for column in ("yoy", "pop", "yoy_low", "yoy_high",
                                                 "pop_low", "pop_high")}}
    return _named(t("sheet_headline", lang), frame, formats, names)


def verdict(change, clear, lang: str) -> str:
    """What a change says: 明显上升 / 明显下降, 无明显变化 when its interval spans no change,
    empty without a change or an interval."""
    if change is None or pd.isna(change) or clear is None or pd.isna(clear):
        return ""
    if clear is False:
        return t("no_clear_change", lang)
    return t("clear_rise" if change > 0 else "clear_fall", lang)


def _round(value, digits: int):
    """Stored rounded (what a reader can use), hidden or missing stays empty."""
    return None if value is None or pd.isna(value) else round(float(value), digits)


def _named(title: str, frame: pd.DataFrame, formats: dict, names: dict) -> Sheet:
    return Sheet(title, frame.rename(columns=names),
                 {names[c]: f for c, f in formats.items()})


def warnings_sheet(store: Store, alerts: list, lang: str) -> Sheet:
    """Every warning at the month, open first; a handled one says when (not by whom: the
    briefing is forwarded, the audit log keeps the name)."""
    states = store.warning_states()
    names = dict(store.query("SELECT point_id, name FROM points"))
    records = []
    for a in alerts:
        state = states.get(a.key)
        handled = not early_warning.is_open(a, states)
        records.append({
            "point": names.get(a.point_id, a.point_id),
            "indicator": trends.indicator_label(a.indicator, lang),
            "rule": a.rule.describe(lang), "facts": trends.alert_facts(a, lang),
            "status": t("status_handled", lang, at=f"{state['at']:%Y-%m-%d}") if handled
            else t("status_open", lang), "_open": not handled})
    frame = pd.DataFrame(records, columns=["point", "indicator", "rule", "facts", "status",
                                           "_open"])
    frame = frame.sort_values(["_open", "point", "indicator"], ascending=[False, True, True])
    columns = {"point": t("col_point", lang), "indicator": t("indicator", lang),
               "rule": t("rule", lang), "facts": t("col_facts", lang),
               "status": t("col_status", lang)}
    return _named(t("nav_warnings", lang), frame.drop(columns=["_open"]).reset_index(drop=True),
                  {}, columns)


def responses_sheet(frame: pd.DataFrame, lang: str) -> Sheet:
    table = pd.DataFrame({
        "county": frame["county"].fillna(""), "name": frame["name"],
        "kind": frame["kind"].map(lambda c: domain.label(domain.POINT_KINDS, c, lang)),
        "expected": frame["expected"], "received": frame["received"],
        "rate": frame["rate"].astype("float64"),
        "overdue": frame["overdue"].map(lambda o: t("yes", lang) if o else t("no", lang))})
    columns = {"county": t("col_county", lang), "name": t("col_point", lang),
               "kind": t("col_kind", lang), "expected": t("col_expected", lang),
               "received": t("col_received", lang), "rate": t("col_rate", lang),
               "overdue": t("col_overdue", lang)}
    return _named(t("nav_responses", lang), table,
                  {"expected": "int", "received": "int", "rate": "pct"}, columns)


def responses_by_county(frame: pd.DataFrame, lang: str) -> Sheet:
    """The response monitor summed per county: what a briefing page has room for."""
    grouped = frame.assign(county=frame["county"].fillna(t("whole_network", lang))).groupby(
        "county", sort=True).agg(points=("name", "size"), expected=("expected", "sum"),
                                 received=("received", "sum"), overdue=("overdue", "sum"))
    grouped["rate"] = grouped["received"] / grouped["expected"].where(grouped["expected"] > 0)
    table = grouped.reset_index()[["county", "points", "expected", "received", "rate",
                                   "overdue"]]
    columns = {"county": t("col_county", lang), "points": t("col_points", lang),
               "expected": t("col_expected", lang), "received": t("col_received", lang),
               "rate": t("col_rate", lang), "overdue": t("col_overdue_points", lang)}
    return _named(t("nav_responses", lang), table,
                  {"points": "int", "expected": "int", "received": "int", "rate": "pct",
                   "overdue": "int"}, columns)


def trend_sheet(store: Store, flt: Filter, month: dt.date, k: int, lang: str) -> Sheet:
    """Indicators x the last 24 months, the figure as read (share or mean); hidden months are
    empty cells."""
    window = flt.narrowed(start=_months_back(month, TREND_MONTHS - 1), end=month)
    months = [_months_back(month, n) for n in range(TREND_MONTHS - 1, -1, -1)]
    records, formats = [], []
    for indicator in trends.READING_ORDER:  # the order of the headline sheet and the tiles
        frame = trends.series(store, window, indicator, "month", k).set_index("bucket")
        column = "share" if trends.shown_as_share(indicator) else "mean"
        record = {t("indicator", lang): trends.indicator_label(indicator, lang)}
        for m in months:
            value = frame.at[m, column] if m in frame.index else None
            record[_month_column(m, lang)] = None if value is None or pd.isna(value) else \
                round(float(value), 4)
        records.append(record)
        formats.append(_value_format(indicator))
    table = pd.DataFrame(records)
    return Sheet(t("sheet_trend", lang), table,
                 {_month_column(m, lang): formats for m in months})


def _month_column(month: dt.date, lang: str) -> str:
    """A month as a column header: 2024年11月 as in the charts, 2024-11 in English."""
    return trends.month_label(month, lang) if lang == "zh" else f"{month:%Y-%m}"


def definitions_sheet(flt: Filter, month: dt.date, k: int, lang: str,
                      generated: dt.datetime | None = None, false_alarm: float = 0.04) -> Sheet:
    generated = generated or dt.datetime.now()
    rows = [(t("def_region", lang), region_name(flt, lang)),
            (t("def_month", lang), trends.month_label(month, lang)),
            (t("def_generated", lang), f"{generated:%Y-%m-%d %H:%M}")]
    rows += [(t(f"def_{key}_term", lang), t(f"def_{key}", lang, k=k, rate=f"{false_alarm:.0%}"))
             for key in ("mean", "share", "change", "pp", "suppressed", "empty", "warnings",
                         "responses")]
    frame = pd.DataFrame(rows, columns=[t("col_term", lang), t("col_definition", lang)])
    return Sheet(t("sheet_definitions", lang), frame, {})


def form_burden_sheet(store: Store, month: dt.date, k: int, lang: str) -> Sheet | None:
    """The form's own burden in the month (survey.form_burden): completion time of the monthly
    questionnaire, over the whole network (timings are not kept per region). A version with
    fewer than k submissions shows no times."""
    found = [b for b in form_burden.form_burden(store, Filter().questionnaire_id)
             if b.period_key == f"{month:%Y-%m}"]
    if not found:
        return None
    minutes = lambda s, b: None if s is None or b.submissions < k else round(s / 60, 2)  # noqa
    frame = pd.DataFrame([{
        "version": b.version, "submissions": b.submissions,
        "median": minutes(b.median_s, b), "p90": minutes(b.p90_s, b),
        "target": "" if b.meets_target is None or b.submissions < k else
        t("yes", lang) if b.meets_target else t("no", lang),
        "unchanged": b.unchanged_share, "items": b.items_asked} for b in found])
    columns = {"version": t("col_version", lang), "submissions": t("col_submissions", lang),
               "median": t("col_median_minutes", lang), "p90": t("col_p90_minutes", lang),
               "target": t("col_meets_target", lang,
                           minutes=f"{form_burden.TARGET_MEDIAN_S / 60:g}"),
               "unchanged": t("col_unchanged_share", lang), "items": t("col_items_asked", lang)}
    return _named(t("sheet_form_burden", lang), frame,
                  {"version": "int", "submissions": "int", "median": "dec1", "p90": "dec1",
                   "unchanged": "pct", "items": "dec1"}, columns)


def sheets(store: Store, flt: Filter, month: dt.date, k: int, rules: list[WarningRule],
           lang: str = "zh") -> tuple[list[Sheet], dict]:
    """The workbook's sheets, and what the HTML needs besides (headline rows, alerts)."""
    _, rows, _ = trends.overview(store, flt, "month", month, k)
    _, alerts, _ = trends.alerts(store, flt.narrowed(end=month), rules, k, today=evaluation_day(month))
    responses = trends.responses(store, flt, f"{month:%Y-%m}")
    out = [headline_sheet(rows, k, lang), warnings_sheet(store, alerts, lang),
           responses_sheet(responses, lang), trend_sheet(store, flt, month, k, lang)]
    burden = form_burden_sheet(store, month, k, lang)
    if burden is not None:
        out.append(burden)
    out.append(definitions_sheet(flt, month, k, lang,
                                 false_alarm=early_warning.false_alarm_rate(rules)))
    states = store.warning_states()
    extra = {"rows": rows, "open": sum(early_warning.is_open(a, states) for a in alerts),
             "responses": responses, "burden": burden}
    return out, extra


def tables(store: Store, flt: Filter, month: dt.date, k: int, rules: list[WarningRule],
           lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The briefing's tables by sheet name (raw values)."""
    return {s.title: s.frame for s in sheets(store, flt, month, k, rules, lang)[0]}


def evaluation_day(month: dt.date) -> dt.date:
    """The day warnings for a month are evaluated as of: the first day after it."""
    return trends.analytics.shift(month, -1)


def _months_back(month: dt.date, n: int) -> dt.date:
    return trends.analytics.shift(month, n)


def region_name(flt: Filter, lang: str) -> str:
    """The region as a reader names it, with any level or kind restriction after it
    (江北市东城区 · 学校): the figures cover only those points, the title must say so."""
    place = "".join(flt.region) if flt.region else t("whole_network", lang)
    joiner = "、" if lang == "zh" else ", "
    restrictions = [joiner.join(domain.label(table, code, lang) for code in codes)
                    for table, codes in ((domain.LEVELS, flt.levels),
                                         (domain.POINT_KINDS, flt.kinds)) if codes]
    return " · ".join([place, *restrictions])


def briefing_title(flt: Filter, month: dt.date, lang: str) -> str:
    region = region_name(flt, lang)
    if lang == "zh" and (flt.levels or flt.kinds):
        region += " "  # 东城区 · 学校 基层减负…: the kind does not run into the title
    return t("briefing_title", lang, region=region, month=trends.month_label(month, lang))


def xlsx(store: Store, flt: Filter, month: dt.date, k: int, rules, lang: str = "zh") -> bytes:
    built, _ = sheets(store, flt, month, k, rules, lang)
    formats = {}
    for sheet in built:
        formats[sheet.title] = {column: [excel_format(sheet.format_of(column, i), lang)
                                         for i in range(len(sheet.frame))]
                                for column in sheet.formats}
    data = safe_files.xlsx_bytes({s.title: s.frame for s in built}, formats=formats)
    return _finish_workbook(data, briefing_title(flt, month, lang), t("sheet_trend", lang))


def _finish_workbook(data: bytes, title: str, trend_sheet_name: str) -> bytes:
    """The workbook's title (what Excel shows in its properties), and the 24-month sheet
    frozen at the indicator column too: 24 months scroll sideways past the names."""
    import io

    import openpyxl
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook.properties.title = title
    if trend_sheet_name[:31] in workbook.sheetnames:
        workbook[trend_sheet_name[:31]].freeze_panes = "B2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- the HTML -----------------------------------------------------------------------------------

def _figure_html(text: str) -> str:
    """A formatted figure for a narrow column: the number and its unit ('+3.3', '个百分点')
    each kept whole, free to go on two lines rather than widen the table."""
    return " ".join(f"<span class=nowrap>{html.escape(part)}</span>"
                    for part in text.split(" ", 1))


def _classes(*names) -> str:
    names = [n for n in names if n]
    return f" class='{' '.join(names)}'" if names else ""


def _table(sheet: Sheet, lang: str, columns: list[str] | None = None, numeric=(),
           narrow_hidden=()) -> str:
    """A plain table; columns in narrow_hidden are left out on a phone (what they hold is
    summed up by another column, e.g. 应填/已填 by 填报率) so the rest fits 375 px."""
    esc = html.escape
    columns = columns or list(sheet.frame.columns)
    css = {c: _classes("num" if c in numeric else "", "wide" if c in narrow_hidden else "")
           for c in columns}
    head = "".join(f"<th{css[c]}>{esc(c)}</th>" for c in columns)
    body = []
    for i, (_, row) in enumerate(sheet.frame.iterrows()):
        cells = "".join(
            f"<td{css[c]}>{_figure_html(show(row[c], sheet.format_of(c, i), lang))}</td>"
            for c in columns)
        body.append(f"<tr>{cells}</tr>")
    return (f"<div class=scroll><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _headline_html(sheet: Sheet, lang: str, good: list) -> str:
    """Indicators grouped by theme: name and what it measures, this month, the changes (the
    year-on-year one green when it is good news, red when bad, with its interval under it; a
    change within chance reads 无明显变化, uncoloured)."""
    esc = html.escape
    f = sheet.frame
    theme, name, measure, figure, yoy, pop, _, note, yoy_verdict, yoy_low, yoy_high, \
        pop_verdict = f.columns[:12]
    unclear = t("no_clear_change", lang)
    rows, current = [], None
    for i, (_, r) in enumerate(f.iterrows()):
        if r[theme] != current:
            current = r[theme]
            rows.append(f"<tr class=theme><th colspan=4>{esc(current)}</th></tr>")
        hidden = f"<div class=small>{esc(r[note])}</div>" if r[note] else ""
        if r[yoy_verdict] == unclear:
            change, tone = esc(unclear), ""
        else:
            change, tone = _figure_html(show(r[yoy], sheet.format_of(yoy, i), lang)), \
                _tone(good[i])
        low, high = (show(r[c], sheet.format_of(c, i), lang) for c in (yoy_low, yoy_high))
        interval = "" if "—" in (low, high) else \
            f"<div class=small>{esc(low)} ~ {esc(high)}</div>"
        previous = esc(unclear) if r[pop_verdict] == unclear else \
            _figure_html(show(r[pop], sheet.format_of(pop, i), lang))
        rows.append(
            f"<tr><td>{esc(r[name])}<div class=small>{esc(r[measure])}</div>{hidden}</td>"
            f"<td class=num><b>{esc(show(r[figure], sheet.format_of(figure, i), lang))}</b></td>"
            f"<td class='num {tone}'>{change}{interval}</td>"
            f"<td class=num>{previous}</td></tr>")
    head = (f"<tr><th>{esc(t('indicator', lang))}</th><th class=num>{esc(figure)}</th>"
            f"<th class=num>{esc(yoy)}</th><th class=num>{esc(pop)}</th></tr>")
    return (f"<div class=scroll><table class=headline><thead>{head}</thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _warnings_html(sheet: Sheet) -> str:
    """Grouped by point (a heading row each): indicator and rule, evidence, status."""
    esc = html.escape
    point, indicator, rule, facts, status = sheet.frame.columns
    rows, current = [], None
    for _, r in sheet.frame.iterrows():
        if r[point] != current:
            current = r[point]
            rows.append(f"<tr class=theme><th colspan=3>{esc(current)}</th></tr>")
        rows.append(f"<tr><td><b>{esc(r[indicator])}</b><div class=small>{esc(r[rule])}</div>"
                    f"</td><td>{esc(r[facts])}</td><td class=nowrap>{esc(r[status])}</td></tr>")
    head = (f"<tr><th>{esc(indicator)} · {esc(rule)}</th><th>{esc(facts)}</th>"
            f"<th>{esc(status)}</th></tr>")
    return (f"<div class=scroll><table><thead>{head}</thead><tbody>{''.join(rows)}</tbody>"
            "</table></div>")


def _form_burden_html(sheet: Sheet, lang: str) -> str:
    """The form's burden as a narrow table: a row per figure, a column per questionnaire
    version (the sheet turned on its side: seven columns do not fit a phone)."""
    esc = html.escape
    frame = sheet.frame
    version = frame.columns[0]
    head = f"<th>{esc(version)}</th>" + "".join(
        f"<th class=num>{esc(show(v, sheet.format_of(version, i), lang))}</th>"
        for i, v in enumerate(frame[version]))
    body = []
    for column in frame.columns[1:]:
        values = list(frame[column])
        if all(_empty(v) for v in values):
            continue
        cells = "".join(f"<td class=num>{_figure_html(show(v, sheet.format_of(column, i), lang))}"
                        "</td>" for i, v in enumerate(values))
        body.append(f"<tr><td>{esc(column)}</td>{cells}</tr>")
    return (f"<div class=scroll><table class=burden><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _empty(value) -> bool:
    return value is None or value == "" or (not isinstance(value, str) and pd.isna(value))


def _tone(good) -> str:
    return "" if good is None or pd.isna(good) else "good" if good else "bad"


def _png(chart, title: str) -> str:
    data = base64.b64encode(charts.to_png(chart, title, width=520)).decode()
    return (f"<figure><img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"
            "</figure>")


def html_report(store: Store, flt: Filter, month: dt.date, k: int, rules: list[WarningRule],
                index: IndexDefinition | None, lang: str = "zh") -> str:
    esc = html.escape
    built, extra = sheets(store, flt, month, k, rules, lang)
    by_title = {s.title: s for s in built}
    region = region_name(flt, lang)
    month_text = trends.month_label(month, lang)
    title = briefing_title(flt, month, lang)
    parts = [f"<h1>{esc(title)}</h1>",
             f"<p class=meta>{esc(t('briefing_generated', lang, at=f'{dt.datetime.now():%Y-%m-%d}'))}"
             "</p>"]
    if not extra["rows"].empty:
        parts.append("<p class=lead>" + esc(trends.summary_sentence(
            extra["rows"], extra["open"], region, month_text, lang)) + "</p>")
    parts.append(f"<h2>{esc(t('sheet_headline', lang))}</h2>")
    headline = by_title[t("sheet_headline", lang)]
    parts.append(_headline_html(headline, lang, list(extra["rows"]["good"]))
                 if not headline.frame.empty
                 else f"<p>{esc(t('no_data', lang))}</p>")
    parts.append(f"<p class=small>{esc(t('change_pp_note', lang))}</p>")

    parts.append(f"<h2>{esc(t('briefing_trends', lang))}</h2><div class=charts>")
    window = flt.narrowed(start=_months_back(month, TREND_MONTHS - 1), end=month)
    for indicator in CHARTED:
        frame = trends.series(store, window, indicator, "month", k)
        if frame.empty:
            continue
        value = "share" if trends.shown_as_share(indicator) else "mean"
        label = trends.indicator_label(indicator, lang)
        if value == "share":
            label = f"{label}:{_measure(indicator, lang)}" if lang == "zh" else \
                f"{label}: {_measure(indicator, lang)}"
        parts.append(_png(charts.trend(frame, indicator, lang, "month", value, k), label))
    if index is not None:
        frame = trends.burden_index(store, window, index, "month", k)
        if not frame.empty:
            label = index.title.get(lang)
            parts.append(_png(charts.index_chart(frame, lang, "month", label), label))
    parts.append("</div>")
    if index is not None:
        parts.append(f"<p class=small>{esc(index.title.get(lang))}:"
                     f"{esc(index.description.get(lang))}</p>")

    parts.append(f"<h2>{esc(t('nav_warnings', lang))}</h2>")
    warnings = by_title[t("nav_warnings", lang)]
    if warnings.frame.empty:
        parts.append(f"<p>{esc(t('warnings_none', lang))}</p>")
    else:
        parts.append(f"<p>{esc(t('briefing_warnings', lang, n=extra['open']))}</p>")
        parts.append(_warnings_html(warnings))

    parts.append(f"<h2>{esc(t('nav_responses', lang))}</h2>")
    if extra["responses"].empty:
        parts.append(f"<p>{esc(t('no_data', lang))}</p>")
    else:
        counties = responses_by_county(extra["responses"], lang)
        columns = list(counties.frame.columns)
        parts.append(_table(counties, lang, numeric=columns[1:],
                            narrow_hidden=columns[2:4]))  # 应填, 已填: the rate says it
        parts.append(f"<p class=small>{esc(t('briefing_responses_note', lang))}</p>")
    if extra["burden"] is not None:
        burden = extra["burden"]
        parts.append(f"<h2>{esc(burden.title)}</h2>"
                     + _form_burden_html(burden, lang)
                     + f"<p class=small>{esc(t('briefing_form_burden_note', lang))}</p>")

    parts.append(f"<h2>{esc(t('sheet_definitions', lang))}</h2><dl>")
    definitions = by_title[t("sheet_definitions", lang)].frame
    for term, text in definitions.itertuples(index=False):
        parts.append(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>")
    parts.append("</dl>")
    return _PAGE.format(lang="zh-CN" if lang == "zh" else "en", title=esc(title),
                        body="\n".join(parts))


_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       max-width: 900px; margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.5; }}
h1 {{ font-size: 1.5em; margin-bottom: .2em; }}
h2 {{ font-size: 1.2em; margin: 1.6em 0 .4em; border-bottom: 2px solid #c62828; }}
.meta, .small {{ color: #666; font-size: .85em; }}
.lead {{ font-size: 1.05em; background: #f7f7f7; border-left: 4px solid #c62828;
        padding: .6em .8em; }}
.scroll {{ overflow-x: auto; }}
table {{ border-collapse: collapse; width: 100%; margin: .4em 0 1em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .35em .5em; text-align: left;
          vertical-align: top; }}
th {{ background: #f5f5f5; }}
td:first-child {{ min-width: 7em; }}
.num {{ text-align: right; }}
tr.theme th {{ background: #fff; color: #c62828; border-bottom: 1px solid #c62828;
               padding-top: .8em; }}
.charts {{ display: grid; grid-template-columns: 1fr; gap: .5em; }}
.good {{ color: #2e7d32; }}
.bad {{ color: #c62828; }}
.nowrap {{ white-space: nowrap; }}
figure {{ margin: 0; break-inside: avoid; page-break-inside: avoid; }}
img {{ width: 100%; max-width: 700px; height: auto; }}
dt {{ font-weight: bold; margin-top: .5em; }}
dd {{ margin: 0 0 0 1em; }}
@media (max-width: 480px) {{
  body {{ margin: .8em auto; padding: 0 .6em; font-size: 15px; }}
  h1 {{ font-size: 1.25em; }}
  table {{ font-size: 13px; }}
  th, td {{ padding: .3em .25em; }}
  td:first-child {{ min-width: 5.5em; }}
  .wide {{ display: none; }}
}}
@media print {{
  @page {{ size: A4; margin: 15mm 12mm; }}
  body {{ max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }}
  .scroll {{ overflow: visible; }}
  img {{ max-height: 105mm; }}
  h2 {{ break-after: avoid; page-break-after: avoid; }}
  tr, figure, dt, dd {{ break-inside: avoid; page-break-inside: avoid; }}
  thead {{ display: table-header-group; }}
}}
</style></head><body>
{body}
</body></html>
"""
