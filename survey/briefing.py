"""The monthly briefing (简报) for a region: one self-contained HTML file (charts embedded as
PNG, no scripts, opens offline) and the same tables as an XLSX workbook."""

from __future__ import annotations

import base64
import datetime as dt
import html

import pandas as pd

from survey import charts, early_warning, exports, trends
from survey.i18n import t
from survey.indicators import INDICATORS
from survey.leader_config import IndexDefinition, WarningRule
from survey.metrics import Filter
from survey.store import Store

CHARTED = ("meetings", "form_hours", "inspections", "satisfaction")


def _pct(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:+.1%}"


def _value(row) -> str:
    if row["suppressed"]:
        return "—"
    if INDICATORS[row["indicator"]].aggregate == "share":
        return f"{row['share']:.0%}"
    return f"{row['mean']:.1f}"


def tables(store: Store, flt: Filter, month: dt.date, k: int, rules: list[WarningRule],
           lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The briefing's tables (also the XLSX sheets)."""
    _, heads = trends.headline(store, flt, "month", month, k)
    headline = pd.DataFrame([{
        t("indicator", lang): trends.indicator_label(r["indicator"], lang),
        "value": _value(r), "unit": trends.indicator_unit(r["indicator"], lang),
        t("pop", lang): _pct(r["pop"]), t("yoy", lang): _pct(r["yoy"]),
        t("chart_n", lang): None if pd.isna(r["n"]) else int(r["n"])} for _, r in heads.iterrows()])
    latest, alerts, _ = trends.alerts(store, flt.narrowed(end=month), rules, k, today=_after(month))
    states = store.warning_states()
    names = dict(store.query("SELECT point_id, name FROM points"))
    warnings = pd.DataFrame([{
        t("col_point", lang): names.get(a.point_id, a.point_id),
        t("indicator", lang): trends.indicator_label(a.indicator, lang),
        t("rule", lang): a.rule.describe(lang),
        t("handled_by", lang): (states.get(a.key) or {}).get("by", "")
        if not early_warning.is_open(a, states) else ""} for a in alerts])
    trend_rows = []
    for indicator in trends.HEADLINE:
        frame = trends.series(store, flt.narrowed(start=_months_back(month, 23), end=month),
                              indicator, "month", k)
        for _, r in frame.iterrows():
            trend_rows.append({t("indicator", lang): trends.indicator_label(indicator, lang),
                               t("chart_period", lang): f"{r['bucket']:%Y-%m}",
                               "mean": r["mean"], "share": r["share"], "n": r["n"],
                               "suppressed": r["suppressed"]})
    responses = trends.responses(store, flt, f"{month:%Y-%m}")
    return {t("headline_title", lang, period=f"{month:%Y-%m}"): headline,
            t("nav_warnings", lang): warnings,
            t("tab_trend", lang): pd.DataFrame(trend_rows),
            t("nav_responses", lang): responses.drop(columns=["point_id"])}


def _after(month: dt.date) -> dt.date:
    return trends.analytics.shift(month, -1)


def _months_back(month: dt.date, n: int) -> dt.date:
    return trends.analytics.shift(month, n)


def region_name(flt: Filter, lang: str) -> str:
    return "".join(flt.region) if flt.region else t("whole_network", lang)


def xlsx(store: Store, flt: Filter, month: dt.date, k: int, rules, lang: str = "zh") -> bytes:
    return exports.xlsx_bytes(tables(store, flt, month, k, rules, lang))


def html_report(store: Store, flt: Filter, month: dt.date, k: int, rules: list[WarningRule],
                index: IndexDefinition | None, lang: str = "zh") -> str:
    esc = html.escape
    sheets = tables(store, flt, month, k, rules, lang)
    title = t("briefing_title", lang, region=region_name(flt, lang), month=f"{month:%Y-%m}")
    parts = [f"<h1>{esc(title)}</h1>",
             f"<p class=note>{esc(t('trends_intro', lang, k=k))}</p>"]
    for name, frame in sheets.items():
        if name == t("tab_trend", lang):
            continue
        parts.append(f"<h2>{esc(name)}</h2>")
        parts.append(frame.to_html(index=False, na_rep="—", border=0, escape=True)
                     if not frame.empty else f"<p>{esc(t('no_data', lang))}</p>")
    parts.append(f"<h2>{esc(t('tab_trend', lang))}</h2>")
    window = flt.narrowed(start=_months_back(month, 23), end=month)
    for indicator in CHARTED:
        frame = trends.series(store, window, indicator, "month", k)
        if frame.empty:
            continue
        value = "share" if INDICATORS[indicator].aggregate != "mean" else "mean"
        label = trends.indicator_label(indicator, lang)
        png = charts.to_png(charts.trend(frame, indicator, lang, "month", value, k), label)
        parts.append(f"<figure><img alt='{esc(label)}' src='data:image/png;base64,"
                     f"{base64.b64encode(png).decode()}'></figure>")
    if index is not None:
        frame = trends.burden_index(store, window, index, "month", k)
        if not frame.empty:
            label = index.title.get(lang)
            png = charts.to_png(charts.index_chart(frame, lang, "month", label), label)
            parts.append(f"<h2>{esc(label)}</h2><p>{esc(index.description.get(lang))}</p>"
                         f"<figure><img alt='{esc(label)}' src='data:image/png;base64,"
                         f"{base64.b64encode(png).decode()}'></figure>")
    parts.append(f"<p class=note>{esc(_footnote(lang, k))}</p>")
    return _PAGE.format(lang="zh-CN" if lang == "zh" else "en", title=esc(title),
                        body="\n".join(parts))


def _footnote(lang: str, k: int) -> str:
    if lang == "en":
        return (f"Changes are (new - old) / old. Figures from fewer than {k} respondents are "
                "hidden (—), and so is any figure that would let a reader work one out.")
    return (f"变化率 = (本期 - 基期) / 基期。少于 {k} 人的数字不显示(—),"
            "可由其他数字推算出小样本的数字也一并不显示。")


_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       max-width: 860px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .35em .5em; text-align: left; }}
th {{ background: #f5f5f5; }}
img {{ max-width: 100%; }}
.note {{ color: #666; font-size: .9em; }}
</style></head><body>
{body}
</body></html>
"""
