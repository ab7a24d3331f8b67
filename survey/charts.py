"""Altair chart builders for the leaders' pages, the briefing and PNG export.

Inputs are the suppressed frames from survey.trends; a suppressed figure is never drawn as a
value, only marked (grey tick on the axis) so readers see that it exists but is hidden.
"""

from __future__ import annotations

import io

import altair as alt
import pandas as pd

from survey.i18n import t
from survey.trends import indicator_label, indicator_unit

FONT = "Noto Sans CJK SC"  # installed with fonts-noto-cjk; browsers fall back to their own
GOOD, BAD, NEUTRAL, HIDDEN = "#2e7d32", "#c62828", "#1f77b4", "#9e9e9e"
WIDTH = "container"


def _finish(chart, title: str | None = None):
    if title:
        chart = chart.properties(title=title)
    return chart.configure(font=FONT).configure_view(strokeWidth=0)


def _time_axis(lang: str, grain: str = "month") -> alt.X:
    fmt = {"month": "%Y-%m", "quarter": "%Y-%m", "year": "%Y"}[grain]
    return alt.X("bucket:T", title=t("chart_period", lang),
                 axis=alt.Axis(format=fmt, labelOverlap="greedy", labelSeparation=6))


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with period buckets as datetimes (Vega-Lite JSON has no date type)."""
    data = frame.copy()
    if "bucket" in data:
        data["bucket"] = pd.to_datetime(data["bucket"])
    return data


def _value_field(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    data = _dated(frame)
    data["value"] = data[value].astype("float64")
    return data


def trend(frame: pd.DataFrame, indicator: str, lang: str, grain: str = "month",
          value: str = "mean", k: int = 5):
    """One indicator over time for the filtered total; hidden figures as grey ticks."""
    data = _value_field(frame, value)
    label = indicator_label(indicator, lang)
    unit = "%" if value == "share" else indicator_unit(indicator, lang)
    y = alt.Y("value:Q", title=f"{label} ({unit})",
              axis=alt.Axis(format=".0%") if value == "share" else alt.Axis())
    tooltip = [alt.Tooltip("bucket:T", title=t("chart_period", lang)),
               alt.Tooltip("value:Q", title=label, format=".1%" if value == "share" else ".2f"),
               alt.Tooltip("n:Q", title=t("chart_n", lang))]
    shown = data[~data["suppressed"]]
    line = alt.Chart(shown).mark_line(point=True, color=NEUTRAL).encode(
        x=_time_axis(lang, grain), y=y, tooltip=tooltip)
    layers = [line]
    hidden = data[data["suppressed"]]
    if not hidden.empty:
        layers.append(alt.Chart(hidden.assign(value=0.0)).mark_tick(
            color=HIDDEN, thickness=3, size=14).encode(
            x=_time_axis(lang, grain), y=alt.Y("value:Q"),
            tooltip=[alt.Tooltip("bucket:T", title=t("chart_period", lang)),
                     alt.Tooltip("note:N", title=" ")]).transform_calculate(
            note=f"'{t('suppressed_note', lang, k=k)}'"))
    return alt.layer(*layers).properties(width=WIDTH, height=260)


def groups(frame: pd.DataFrame, indicator: str, lang: str, grain: str, group_title: str,
           labels: dict | None = None):
    """One line per group of a breakdown (hidden cells are simply absent)."""
    data = _value_field(frame[~frame["suppressed"]], "mean")
    data["label"] = data["group"].map(lambda g: (labels or {}).get(g, g))
    label = indicator_label(indicator, lang)
    return alt.Chart(data).mark_line(point=True).encode(
        x=_time_axis(lang, grain),
        y=alt.Y("value:Q", title=f"{label} ({indicator_unit(indicator, lang)})"),
        color=alt.Color("label:N", title=group_title),
        tooltip=[alt.Tooltip("label:N", title=group_title),
                 alt.Tooltip("bucket:T", title=t("chart_period", lang)),
                 alt.Tooltip("value:Q", title=label, format=".2f"),
                 alt.Tooltip("n:Q", title=t("chart_n", lang))],
    ).properties(width=WIDTH, height=300)


def heatmap(frame: pd.DataFrame, indicator: str, lang: str, k: int = 5):
    """Points x months; hidden cells grey."""
    data = _dated(frame)
    data["value"] = data["mean"].astype("float64")
    data["status"] = data["suppressed"].map(
        {True: t("suppressed_note", lang, k=k), False: ""})
    label = indicator_label(indicator, lang)
    base = alt.Chart(data).encode(
        x=alt.X("yearmonth(bucket):O", title=t("chart_period", lang)),
        y=alt.Y("point:N", title=t("chart_point", lang), sort="ascending"),
        tooltip=[alt.Tooltip("point:N", title=t("chart_point", lang)),
                 alt.Tooltip("yearmonth(bucket):O", title=t("chart_period", lang)),
                 alt.Tooltip("value:Q", title=label, format=".2f"),
                 alt.Tooltip("status:N", title=" ")])
    shown = base.transform_filter("datum.suppressed == false").mark_rect().encode(
        color=alt.Color("value:Q", title=label, scale=alt.Scale(scheme="orangered")))
    hidden = base.transform_filter("datum.suppressed == true").mark_rect(color="#e0e0e0")
    rows = max(1, data["point"].nunique())
    return alt.layer(hidden, shown).properties(width=WIDTH, height=min(900, 16 * rows + 40))


def distribution(frame: pd.DataFrame, indicator: str, lang: str, grain: str):
    """Spread across respondents per period: 10-90% whisker, 25-75% box, median tick."""
    data = _dated(frame[~frame["suppressed"]])
    for column in ("p10", "p25", "p50", "p75", "p90"):
        data[column] = data[column].astype("float64")
    label = f"{indicator_label(indicator, lang)} ({indicator_unit(indicator, lang)})"
    x = _time_axis(lang, grain)
    whisker = alt.Chart(data).mark_rule(color="#607d8b").encode(
        x=x, y=alt.Y("p10:Q", title=label), y2="p90:Q")
    box = alt.Chart(data).mark_bar(size=10, color="#90caf9").encode(x=x, y="p25:Q", y2="p75:Q",
        tooltip=[alt.Tooltip("bucket:T", title=t("chart_period", lang))] +
                [alt.Tooltip(f"{c}:Q", title=c.upper().replace("P", "P"), format=".1f")
                 for c in ("p10", "p25", "p50", "p75", "p90")])
    median = alt.Chart(data).mark_tick(color="#0d47a1", thickness=2, size=12).encode(x=x, y="p50:Q")
    return alt.layer(whisker, box, median).properties(width=WIDTH, height=260)


def index_chart(frame: pd.DataFrame, lang: str, grain: str, title: str):
    data = _dated(frame[~frame["suppressed"]])
    data["value"] = data["index"].astype("float64")
    line = alt.Chart(data).mark_line(point=True, color="#6a1b9a").encode(
        x=_time_axis(lang, grain), y=alt.Y("value:Q", title=title),
        tooltip=[alt.Tooltip("bucket:T", title=t("chart_period", lang)),
                 alt.Tooltip("value:Q", title=title, format=".1f")])
    hundred = alt.Chart(pd.DataFrame({"y": [100.0]})).mark_rule(
        color=HIDDEN, strokeDash=[4, 4]).encode(y="y:Q")
    return alt.layer(hundred, line).properties(width=WIDTH, height=260)


def evidence(rows: pd.DataFrame, lang: str):
    """One point's monthly series behind its warnings, every indicator on one scale:
    100 = its mean over the first six months shown, so rebounds of different units compare."""
    data = _dated(rows).sort_values(["indicator", "bucket"])
    data["label"] = data["indicator"].map(lambda i: indicator_label(i, lang))
    first = data.groupby("indicator")["value"].transform(lambda v: v.head(6).mean())
    data["relative"] = 100 * data["value"] / first.where(first != 0)
    x = _time_axis(lang)
    line = alt.Chart(data).mark_line(point=True).encode(
        x=x, y=alt.Y("relative:Q", title=t("relative_level", lang), scale=alt.Scale(zero=False)),
        color=alt.Color("label:N", title=None, legend=alt.Legend(orient="top", columns=3)),
        tooltip=[alt.Tooltip("label:N", title=t("indicator", lang)),
                 alt.Tooltip("bucket:T", title=t("chart_period", lang)),
                 alt.Tooltip("value:Q", title=t("chart_value", lang), format=".2f")])
    hundred = alt.Chart(pd.DataFrame({"y": [100.0]})).mark_rule(
        color=HIDDEN, strokeDash=[4, 4]).encode(y="y:Q")
    return alt.layer(hundred, line).properties(width=WIDTH, height=240)


def public_vs_cadres(frame: pd.DataFrame, lang: str):
    """Share satisfied per quarter: the public about service, the cadres about burden."""
    data = _value_field(frame[~frame["suppressed"]], "share")
    names = {"public": t("public_series", lang), "cadres": t("cadre_series", lang)}
    data["series"] = data["who"].map(names)
    return alt.Chart(data).mark_line(point=True).encode(
        x=_time_axis(lang, "quarter"),
        y=alt.Y("value:Q", title=t("share_satisfied", lang), axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("bucket:T", title=t("chart_period", lang)),
                 alt.Tooltip("value:Q", title=t("share_satisfied", lang), format=".0%"),
                 alt.Tooltip("mean:Q", title=t("mean", lang), format=".2f"),
                 alt.Tooltip("n:Q", title=t("chart_n", lang))],
    ).properties(width=WIDTH, height=260)


def to_png(chart, title: str | None = None, width: int = 640) -> bytes:
    """Server-side PNG (vl-convert), with a CJK font so Chinese renders."""
    fixed = chart.properties(width=width) if hasattr(chart, "properties") else chart
    buffer = io.BytesIO()
    _finish(fixed, title).save(buffer, format="png", scale_factor=2)
    return buffer.getvalue()


def themed(chart, title: str | None = None):
    """The chart as shown on a page (same font and title as the PNG)."""
    return _finish(chart, title)
