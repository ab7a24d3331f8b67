"""Altair chart builders for the leaders' pages, the briefing and PNG export.

Inputs are the suppressed frames from survey.trends; a suppressed figure is never drawn as a
value, only marked (grey tick on the axis) so readers see that it exists but is hidden.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import altair as alt
import pandas as pd

from survey.i18n import t
from survey.indicators import INDICATORS
from survey.trends import indicator_label, indicator_unit, month_label, short_label

FONT = "Noto Sans CJK SC"  # installed with fonts-noto-cjk; browsers fall back to their own
GOOD, BAD, NEUTRAL, HIDDEN = "#2e7d32", "#c62828", "#1f77b4", "#9e9e9e"
WIDTH = "container"


def _finish(chart, title: str | None = None):
    if title:
        chart = chart.properties(title=title)
    return chart.configure(font=FONT).configure_view(strokeWidth=0)


def month_format(lang: str) -> str:
    """A month on an axis or tooltip as the page's text reads it: 2024年11月 / Nov 2024."""
    return "%Y年%-m月" if lang == "zh" else "%b %Y"


def time_format(lang: str, grain: str = "month") -> str:
    """A period on an axis or tooltip in the page's language (d3 time format, as
    trends.bucket_label writes it): 2024年11月 / Nov 2024, 2024年第4季度 / Q4 2024, 2024年 / 2024."""
    zh = lang == "zh"
    return {"month": month_format(lang), "quarter": "%Y年第%q季度" if zh else "Q%q %Y",
            "year": "%Y年" if zh else "%Y"}[grain]


def _time_axis(lang: str, grain: str = "month", title: bool = True) -> alt.X:
    # quarters and years: one tick each (a tick a month would repeat the label)
    ticks = {"month": alt.Undefined, "quarter": alt.TickCount(interval="month", step=3),
             "year": alt.TickCount(interval="year", step=1)}[grain]
    return alt.X("bucket:T", title=t("chart_period", lang) if title else None,
                 axis=alt.Axis(format=time_format(lang, grain), labelOverlap="greedy",
                               labelSeparation=6, tickCount=ticks,
                               labelFlush=True))  # the last label ends inside the chart


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
                       format=time_format(lang, grain))


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
    (long names shortened on the axis, in full on hover), months as the page reads them
    (2026年10月 / Oct 2026)."""
    data = _dated(frame[frame["point"].notna()])
    data["value"] = data[value].astype("float64")
    data["month"] = data["bucket"].map(lambda b: month_label(b, lang))
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


@dataclass(frozen=True)
class Window:
    """What a rule tested: the window's months, its figure per person over them and the range
    it stays within if nothing changed (survey.early_warning, the alert's facts)."""
    first: dt.date
    last: dt.date
    observed: float
    low: float
    high: float

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1


EVIDENCE_BAND, WINDOW_COLOUR = "#90caf9", "#ef6c00"


def warning_evidence(series: pd.DataFrame, indicator: str, lang: str,
                     reference: float | None = None, reference_label: str | None = None,
                     window: Window | None = None, k: int = 5):
    """The evidence for one warning: the point's monthly figure of the warned indicator in its
    own unit, over the band its same months a year before predict (the range a single month
    stays within if nothing changed, and its centre as a dashed line: survey.early_warning
    .expected_band); what the rule tested, the window's figure (a thick line over its months)
    and its own range if nothing changed (an orange box), both with the numbers of the
    evidence sentence in the legend; months hidden for fewer than k respondents as grey bands;
    for a baseline rule, the baseline as a dotted line. `series` has columns bucket, value,
    expected, low, high and optionally suppressed (a month without a figure is missing: the
    line breaks there; without a year-before reference it has no band)."""
    data = _dated(series).sort_values("bucket").set_index("bucket")
    full = pd.date_range(data.index.min(), data.index.max(), freq="MS") if len(data) else []
    data = data.reindex(full).rename_axis("bucket").reset_index()
    hidden_months = data["suppressed"].fillna(False).astype(bool) if "suppressed" in data \
        else pd.Series(False, index=data.index)
    label = trend_label(indicator, lang)
    observed, centre, band = (t(key, lang) for key in ("this_year", "expected_centre",
                                                       "expected_band"))
    names, colours = [observed, centre, band], [BAD, "#546e7a", EVIDENCE_BAND]
    number = "{:.1f}".format
    if window is not None:
        tested = t("window_figure", lang, n=window.months, value=number(window.observed))
        tested_range = t("window_range", lang, n=window.months, low=number(window.low),
                         high=number(window.high))
        names, colours = names + [tested, tested_range], colours + ["#8e0000", WINDOW_COLOUR]
    if reference is not None:  # the baseline gets its own legend entry
        names, colours = names + [reference_label or " "], colours + [NEUTRAL]
    if hidden_months.any():
        names, colours = names + [t("suppressed_note", lang, k=k)], colours + [HIDDEN]
    # under the plot, one entry a line (whole: a phone has the width for them once the y
    # title sits above the axis), in full colour whatever the marks' opacity
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=colours),
                       legend=alt.Legend(orient="bottom", direction="vertical",
                                         symbolType="stroke", symbolStrokeWidth=4,
                                         symbolOpacity=1, labelFontSize=11, labelLimit=0))
    x = _time_axis(lang, title=False)
    y_title = label
    # the title above the axis, level: a title along it takes a phone's width from the plot
    level_title = alt.Axis(titleAngle=0, titleAlign="left", titleAnchor="end", titleX=-30,
                           titleY=-10, titleBaseline="bottom")
    tip = [_tooltip_time(lang)]
    layers = []
    if hidden_months.any():
        hidden = data.loc[hidden_months, ["bucket"]].assign(
            end=lambda d: d["bucket"] + pd.DateOffset(months=1), series=names[-1])
        layers.append(alt.Chart(hidden).mark_rect(opacity=0.3).encode(
            x=x, x2="end:T", color=colour,
            tooltip=tip + [alt.Tooltip("series:N", title=" ")]))
    shaded = data[data["expected"].notna()].assign(series=band)
    layers.append(alt.Chart(shaded).mark_area(opacity=0.45).encode(
        x=x, y=alt.Y("low:Q", title=y_title, scale=alt.Scale(zero=False), axis=level_title),
        y2="high:Q", color=colour,
        tooltip=tip + [alt.Tooltip("low:Q", title=t("expected_low", lang), format=".1f"),
                       alt.Tooltip("high:Q", title=t("expected_high", lang), format=".1f")]))
    layers.append(alt.Chart(shaded.assign(series=centre)).mark_line(strokeDash=[5, 4]).encode(
        x=x, y=alt.Y("expected:Q", title=y_title), color=colour,
        tooltip=tip + [alt.Tooltip("expected:Q", title=centre, format=".1f")]))
    if window is not None:  # half a month either side: the box covers the window's points
        span = pd.DataFrame({
            "bucket": [pd.Timestamp(window.first) - pd.Timedelta(days=12)],
            "end": [pd.Timestamp(window.last) + pd.Timedelta(days=12)],
            "low": [window.low], "high": [window.high], "value": [window.observed]})
        layers.append(alt.Chart(span.assign(series=tested_range)).mark_rect(
            fillOpacity=0.08, strokeWidth=2, strokeDash=[4, 2]).encode(
            x=x, x2="end:T", y=alt.Y("low:Q", title=y_title), y2="high:Q", color=colour,
            stroke=alt.Stroke("series:N", scale=alt.Scale(domain=names, range=colours),
                              legend=None),
            tooltip=[alt.Tooltip("series:N", title=" ")]))
        layers.append(alt.Chart(span.assign(series=tested)).mark_rule(strokeWidth=4).encode(
            x=x, x2="end:T", y=alt.Y("value:Q", title=y_title), color=colour,
            tooltip=[alt.Tooltip("series:N", title=" ")]))
    line = data.assign(series=observed)
    line["segment"] = line["value"].isna().cumsum()
    line = line[line["value"].notna()]
    layers.append(alt.Chart(line).mark_line(point=alt.OverlayMarkDef(size=24)).encode(
        x=x, y=alt.Y("value:Q", title=y_title), color=colour, detail="segment:N",
        tooltip=tip + [alt.Tooltip("value:Q", title=label, format=".1f")]))
    if reference is not None:
        ref = pd.DataFrame({"y": [reference], "series": [reference_label or " "]})
        layers.append(alt.Chart(ref).mark_rule(strokeDash=[2, 2], strokeWidth=2).encode(
            y="y:Q", color=colour,
            tooltip=[alt.Tooltip("series:N", title=" "),
                     alt.Tooltip("y:Q", title=label, format=".1f")]))
    # padding: room above for the level y title and right of the last month's label (Vega
    # measures the page's font short: both were cut by 4-12 px in Chromium)
    return alt.layer(*layers).properties(width=WIDTH, height=EVIDENCE_PLOT,
                                         padding={"top": 10, "left": 5, "right": 28,
                                                  "bottom": 5})


EVIDENCE_PLOT = 220  # px of the plot itself
LEGEND_ROW = 20  # px per legend entry (one a line)


def evidence_height(chart) -> int:
    """The height a page gives a warning's chart: the plot, the month labels and one line per
    legend entry (Streamlit otherwise cuts the legend off or squeezes the plot)."""
    entries = len(chart.layer[0]["encoding"]["color"]["scale"]["domain"])
    return EVIDENCE_PLOT + 40 + LEGEND_ROW * entries


def trend_label(indicator: str, lang: str) -> str:
    """A y axis title that fits the axis: the tile's short name and the unit (the full name
    is in the heading above the chart)."""
    return f"{short_label(indicator, lang)} ({indicator_unit(indicator, lang)})"


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
