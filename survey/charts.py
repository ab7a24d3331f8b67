"""Altair chart builders for the leaders' pages, the briefing and PNG export.

Inputs are the suppressed frames from survey.trends; a suppressed figure is never drawn as a
value, only marked (grey tick on the axis) so readers see that it exists but is hidden.
"""

from __future__ import annotations

import io

import altair as alt
import pandas as pd

from survey.i18n import t
from survey.indicators import INDICATORS
from survey.trends import indicator_label, indicator_unit, month_label

FONT = "Noto Sans CJK SC"  # installed with fonts-noto-cjk; browsers fall back to their own
GOOD, BAD, NEUTRAL, HIDDEN = "#2e7d32", "#c62828", "#1f77b4", "#9e9e9e"
WIDTH = "container"


def _finish(chart, title: str | None = None):
    if title:
        chart = chart.properties(title=title)
    return chart.configure(font=FONT).configure_view(strokeWidth=0)


def month_format(lang: str) -> str:
    """A month on an axis or tooltip: 2024年11月 in Chinese (as in the text), 2024-11 in
    English."""
    return "%Y年%-m月" if lang == "zh" else "%Y-%m"


def _time_axis(lang: str, grain: str = "month") -> alt.X:
    fmt = {"month": month_format(lang), "quarter": "%Y-%m", "year": "%Y"}[grain]
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


def _tooltip_time(lang: str, grain: str = "month") -> alt.Tooltip:
    return alt.Tooltip("bucket:T", title=t("chart_period", lang),
                       format={"month": month_format(lang), "quarter": "%Y-%m",
                               "year": "%Y"}[grain])


def _segments(data: pd.DataFrame) -> pd.Series:
    """A running id that changes after each hidden period, so a line never joins across one."""
    return data["suppressed"].astype(int).cumsum()


def _hidden_bands(hidden: pd.DataFrame, lang: str, grain: str, k: int):
    """Hidden periods as light grey bands over the whole height: a gap that says why, never
    a value (and never a mark at zero)."""
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    bands = hidden[["bucket"]].copy()
    bands["end"] = bands["bucket"] + pd.DateOffset(months=months)
    bands["note"] = t("suppressed_note", lang, k=k)
    return alt.Chart(bands).mark_rect(color=HIDDEN, opacity=0.18).encode(
        x=_time_axis(lang, grain), x2="end:T",
        tooltip=[_tooltip_time(lang, grain), alt.Tooltip("note:N", title=" ")])


def trend(frame: pd.DataFrame, indicator: str, lang: str, grain: str = "month",
          value: str = "mean", k: int = 5):
    """One indicator over time for the filtered total; hidden periods are grey bands (gaps)."""
    data = _value_field(frame, value).sort_values("bucket")
    data["segment"] = _segments(data)
    label = indicator_label(indicator, lang)
    share = value == "share"
    unit = "%" if share else indicator_unit(indicator, lang)
    y = alt.Y("value:Q", title=f"{label} ({unit})",
              axis=alt.Axis(format=".0%") if share else alt.Axis(),
              scale=alt.Scale(zero=not share))
    tooltip = [_tooltip_time(lang, grain),
               alt.Tooltip("value:Q", title=label, format=".1%" if share else ".2f"),
               alt.Tooltip("n:Q", title=t("chart_n", lang))]
    shown = data[~data["suppressed"]]
    layers = []
    hidden = data[data["suppressed"]]
    if not hidden.empty:
        layers.append(_hidden_bands(hidden, lang, grain, k))
    layers.append(alt.Chart(shown).mark_line(point=True, color=NEUTRAL).encode(
        x=_time_axis(lang, grain), y=y, detail="segment:N", tooltip=tooltip))
    return alt.layer(*layers).properties(width=WIDTH, height=280)


def groups(frame: pd.DataFrame, indicator: str, lang: str, grain: str, group_title: str,
           labels: dict | None = None, value: str = "mean"):
    """One line per group of a breakdown (hidden cells are gaps: the line breaks there)."""
    data = _value_field(frame, value).sort_values(["group", "bucket"])
    data["segment"] = data.groupby("group")["suppressed"].cumsum().astype(int)
    data = data[~data["suppressed"]]
    data["label"] = data["group"].map(lambda g: (labels or {}).get(g, g))
    label = indicator_label(indicator, lang)
    share = value == "share"
    unit = "%" if share else indicator_unit(indicator, lang)
    return alt.Chart(data).mark_line(point=True).encode(
        x=_time_axis(lang, grain),
        y=alt.Y("value:Q", title=f"{label} ({unit})",
                axis=alt.Axis(format=".0%") if share else alt.Axis()),
        color=alt.Color("label:N", title=group_title,
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=220)),
        detail="segment:N",
        tooltip=[alt.Tooltip("label:N", title=group_title), _tooltip_time(lang, grain),
                 alt.Tooltip("value:Q", title=label, format=".1%" if share else ".2f"),
                 alt.Tooltip("n:Q", title=t("chart_n", lang))],
    ).properties(width=WIDTH, height=300)


HEATMAP_ROW = 22  # px per point: every name gets its own readable row
HEATMAP_FRAME = 180  # px around the rows: title, legend, month labels


def page_height(chart, frame_px: int = 110) -> int:
    """The height to give st.altair_chart: the plot's own height plus title, axes and legend
    (without it Streamlit shrinks charts on a narrow screen)."""
    height = getattr(chart, "height", None)
    return (height if isinstance(height, int) else 260) + frame_px


def heatmap_height(frame: pd.DataFrame) -> int:
    """The height a page must give the heatmap (Streamlit otherwise squeezes its rows)."""
    return HEATMAP_ROW * max(1, frame["point"].nunique()) + HEATMAP_FRAME


def heatmap(frame: pd.DataFrame, indicator: str, lang: str, k: int = 5, value: str = "mean"):
    """Points x months; hidden cells grey. Height grows with the points, every row is named
    (long names shortened on the axis, in full on hover), months as 2026-10."""
    data = _dated(frame[frame["point"].notna()])
    data["value"] = data[value].astype("float64")
    data["month"] = data["bucket"].map(lambda b: month_label(b, lang) if lang == "zh"
                                       else f"{b:%Y-%m}")
    data["status"] = data["suppressed"].map({True: t("suppressed_note", lang, k=k), False: ""})
    months = list(data.sort_values("bucket")["month"].unique())  # in time order
    points = sorted(data["point"].unique())
    label = indicator_label(indicator, lang)
    share = value == "share"
    x = alt.X("month:O", title=None, sort=months, scale=alt.Scale(domain=months),
              axis=alt.Axis(labelAngle=-45, labelOverlap="greedy"))
    y = alt.Y("point:N", title=None, sort=points, scale=alt.Scale(domain=points),
              axis=alt.Axis(labelLimit=150, labelOverlap=False))
    base = alt.Chart(data).encode(x=x, y=y)
    where = [alt.Tooltip("point:N", title=t("chart_point", lang)),
             alt.Tooltip("month:O", title=t("chart_period", lang))]
    shown = base.transform_filter("datum.suppressed == false").mark_rect().encode(
        color=alt.Color("value:Q", title=None, scale=alt.Scale(scheme="orangered"),
                        legend=alt.Legend(orient="top", format=".0%" if share else ".0f",
                                          gradientLength=160)),
        tooltip=where + [alt.Tooltip("value:Q", title=label, format=".0%" if share else ".2f")])
    # A hidden cell has no value to show (a tooltip would say "NaN"): it says why instead.
    hidden = base.transform_filter("datum.suppressed == true").mark_rect(color="#e0e0e0").encode(
        tooltip=where + [alt.Tooltip("status:N", title=" ")])
    return alt.layer(hidden, shown).properties(width=WIDTH,
                                               height=HEATMAP_ROW * max(1, len(points)))


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
        tooltip=[_tooltip_time(lang, grain)] +
                [alt.Tooltip(f"{c}:Q", title=c.upper().replace("P", "P"), format=".1f")
                 for c in ("p10", "p25", "p50", "p75", "p90")])
    median = alt.Chart(data).mark_tick(color="#0d47a1", thickness=2, size=12).encode(x=x, y="p50:Q")
    return alt.layer(whisker, box, median).properties(width=WIDTH, height=260)


def index_chart(frame: pd.DataFrame, lang: str, grain: str, title: str):
    data = _dated(frame[~frame["suppressed"]])
    data["value"] = data["index"].astype("float64")
    line = alt.Chart(data).mark_line(point=True, color="#6a1b9a").encode(
        x=_time_axis(lang, grain), y=alt.Y("value:Q", title=title),
        tooltip=[_tooltip_time(lang, grain),
                 alt.Tooltip("value:Q", title=title, format=".1f")])
    hundred = alt.Chart(pd.DataFrame({"y": [100.0]})).mark_rule(
        color=HIDDEN, strokeDash=[4, 4]).encode(y="y:Q")
    return alt.layer(hundred, line).properties(width=WIDTH, height=260)


def warning_evidence(series: pd.DataFrame, indicator: str, lang: str,
                     reference: float | None = None, reference_label: str | None = None):
    """The evidence for one warning: the point's monthly figure of the warned indicator in its
    own unit, over the band its same months a year before predict (the range a month stays
    within if nothing changed, and its centre as a dashed line: survey.early_warning
    .expected_band), and, for a baseline rule, the baseline as a rule. `series` has columns
    bucket, value, expected, low, high (a month without a figure is missing: the line breaks
    there; without a year-before reference it has no band)."""
    data = _dated(series).sort_values("bucket").set_index("bucket")
    full = pd.date_range(data.index.min(), data.index.max(), freq="MS") if len(data) else []
    data = data.reindex(full).rename_axis("bucket").reset_index()
    label = indicator_label(indicator, lang)
    unit = indicator_unit(indicator, lang)
    observed, centre, band = t("this_year", lang), t("expected_centre", lang), \
        t("expected_band", lang)
    names, colours = [observed, centre, band], [BAD, HIDDEN, "#bdbdbd"]
    if reference is not None:  # the baseline gets its own legend entry
        names, colours = names + [reference_label or " "], colours + [NEUTRAL]
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=colours),
                       legend=alt.Legend(orient="bottom", direction="vertical",
                                         symbolType="stroke", symbolStrokeWidth=3,
                                         labelLimit=0))  # three or four entries: one a line
    y_title = f"{label} ({unit})"
    tip = [_tooltip_time(lang)]
    shaded = data[data["expected"].notna()].assign(series=band)
    layers = [alt.Chart(shaded).mark_area(opacity=0.35).encode(
        x=_time_axis(lang), y=alt.Y("low:Q", title=y_title, scale=alt.Scale(zero=False)),
        y2="high:Q", color=colour,
        tooltip=tip + [alt.Tooltip("low:Q", title=t("expected_low", lang), format=".1f"),
                       alt.Tooltip("high:Q", title=t("expected_high", lang), format=".1f")])]
    middle = shaded.assign(series=centre)
    layers.append(alt.Chart(middle).mark_line(strokeDash=[5, 4]).encode(
        x=_time_axis(lang), y=alt.Y("expected:Q", title=y_title), color=colour,
        tooltip=tip + [alt.Tooltip("expected:Q", title=centre, format=".1f")]))
    line = data.assign(series=observed)
    line["segment"] = line["value"].isna().cumsum()
    line = line[line["value"].notna()]
    layers.append(alt.Chart(line).mark_line(point=alt.OverlayMarkDef(size=24)).encode(
        x=_time_axis(lang), y=alt.Y("value:Q", title=y_title), color=colour,
        detail="segment:N",
        tooltip=tip + [alt.Tooltip("value:Q", title=label, format=".1f")]))
    if reference is not None:
        ref = pd.DataFrame({"y": [reference], "series": [names[-1]]})
        layers.append(alt.Chart(ref).mark_rule(strokeDash=[2, 2]).encode(
            y="y:Q", color=colour,
            tooltip=[alt.Tooltip("series:N", title=" "),
                     alt.Tooltip("y:Q", title=label, format=".1f")]))
    return alt.layer(*layers).properties(width=WIDTH, height=220)


def public_vs_cadres(frame: pd.DataFrame, lang: str):
    """Share satisfied per quarter: the public about service, the cadres about burden."""
    data = _value_field(frame[~frame["suppressed"]], "share")
    names = {"public": t("public_series", lang), "cadres": t("cadre_series", lang)}
    data["series"] = data["who"].map(names)
    return alt.Chart(data).mark_line(point=True).encode(
        x=_time_axis(lang, "quarter"),
        y=alt.Y("value:Q", title=t("share_satisfied", lang), axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("series:N", title=None,
                        legend=alt.Legend(orient="bottom", direction="vertical",
                                          labelLimit=0)),  # long English names in full
        tooltip=[alt.Tooltip("series:N", title=" "),
                 _tooltip_time(lang, "quarter"),
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
