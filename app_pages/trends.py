"""Leaders: is the burden falling, where not, where is it coming back?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import briefing, charts, domain, early_warning
from survey.indicators import INDICATORS
from survey.metrics import HEADLINE
from survey.trends import (THEMES, bucket_label, format_change, format_figure, format_interval,
                           indicator_label, indicator_unit, latest_common_quarter,
                           point_sparklines,
                           rises_well, short_label, shown_as_share, summary_sentence)
from ui.auth import require
from ui import cached
from ui.context import escape, lang, startup, t
from ui.downloads import chart_downloads
from ui.filters import leader_header, sub_dimension

viewer = require("trends")

MAX_HEATMAP_POINTS = 80  # beyond this a row per point is unreadable: narrow the region first
app = startup()
k = app.config.k_anonymity
flt, grain = leader_header("nav_trends", "trends_intro", viewer, grain=True, k=k)
_, _, names, has_demo = cached.meta()
if has_demo:
    st.caption(":material/info: " + t("demo_banner"))

rules, _ = cached.rules()
bucket, heads, sparks = cached.figure("overview", flt, grain, None, k, tuple(rules))
if heads.empty:
    st.info(t("no_data"))
    st.stop()
rows = heads.set_index("indicator")


def share_help(indicator: str) -> str:
    rule = {"share": "share_yes", "likert": "share_top2" if not INDICATORS[indicator]
            .lower_is_better else "share_low2"}.get(INDICATORS[indicator].aggregate)
    return t(rule) if rule else t("mean_per_cadre", unit=indicator_unit(indicator, lang()))


# -- the sentence a leader reads first --------------------------------------------------------
_, alerts, _ = cached.figure("alerts", flt, rules, k, None, False)  # counted: no evidence
states = app.store.warning_states()
open_count = sum(early_warning.is_open(a, states) for a in alerts)
period = bucket_label(bucket, grain, lang())
with st.container(border=True):
    st.markdown("**" + escape(summary_sentence(heads, open_count, briefing.region_name(
        flt, lang()), period, lang())) + "**")
    if (months := int(heads["months"].max() or 0)) and grain != "month" and \
            months < {"quarter": 3, "year": 12}[grain]:
        st.caption(":material/warning: " + t("partial_period", m=months))
    st.caption(t("tiles_note") + " " + t("change_pp_note"))

# -- tiles by theme, in a fixed reading order (one row per theme survives a phone's column) ---
secondary_count = sum(len(extra) for _, _, extra in THEMES)
show_all = st.toggle(t("show_secondary", n=secondary_count), key="all_tiles")


def sparkline(indicator: str) -> list | None:
    """The tile's 24 periods; a hidden one is NaN (a gap), never zero; none at all: no line."""
    values = sparks.get(indicator) or []
    if all(v is None for v in values):
        return None
    return [float("nan") if v is None else v for v in values]


TILE_WIDTH = 160  # px: two tiles side by side on a 375 px phone, four on a PC


def tile(indicator: str) -> None:
    row = rows.loc[indicator]
    change = format_change(indicator, row["change"], lang(), row["change_clear"])
    unclear = row["change_clear"] is False  # within chance: grey, no arrow
    st.metric(short_label(indicator, lang()), format_figure(indicator, row["figure"]),
              delta=change,
              delta_color="off" if unclear else "normal" if rises_well(indicator) else "inverse",
              delta_arrow="off" if unclear else "auto",
              help=f"{indicator_label(indicator, lang())}: {share_help(indicator)}",
              chart_data=sparkline(indicator), chart_type="line")
    if row["suppressed"]:
        st.caption(t("suppressed_note", k=k))
        return
    notes = []
    if not change:
        notes.append(f"{t('yoy')}: {t('no_change')}")
    elif interval := format_interval(indicator, row["change_low"], row["change_high"], lang(),
                                     compact=True):
        notes.append(t("change_interval", interval=interval))
    previous = format_change(indicator, row["change_prev"], lang(), row["change_prev_clear"])
    notes.append(t("pop_change", change=previous) if previous else
                 f"{t('pop')}: {t('no_change')}")
    if INDICATORS[indicator].aggregate == "likert":
        notes.append(t("mean_score", mean=row["mean"]))
    st.caption(" · ".join(notes))


# Wrapping rows, not columns (columns stack one under another on a phone): two tiles abreast
# on a phone, two themes abreast on a PC; the order stays the reading order.
with st.container(horizontal=True, gap="small"):
    for theme, primary, secondary in THEMES:
        shown = [i for i in primary + (secondary if show_all else ()) if i in rows.index]
        if not shown:
            continue
        with st.container(width="content"):
            st.markdown(f"##### {t(theme)}")
            with st.container(horizontal=True, gap="small"):
                for indicator in shown:
                    with st.container(border=True, width=TILE_WIDTH):
                        tile(indicator)

# -- one indicator in depth -------------------------------------------------------------------
st.divider()
if "ind" not in st.session_state:
    wanted = st.query_params.get("ind")
    st.session_state["ind"] = wanted if wanted in HEADLINE else "meetings"
indicator = st.selectbox(t("indicator"), HEADLINE, key="ind",
                         format_func=lambda i: indicator_label(i, lang()))
if indicator != "meetings":
    st.query_params["ind"] = indicator
elif "ind" in st.query_params:
    del st.query_params["ind"]
label = indicator_label(indicator, lang())
value = "share" if shown_as_share(indicator) else "mean"
if INDICATORS[indicator].aggregate == "likert" and st.toggle(t("show_mean_score"), key="mean"):
    value = "mean"
share = value == "share"
# One view at a time (tabs would compute every view on every run); kept in the URL.
VIEWS = {"trend": "tab_trend", "breakdown": "tab_breakdown", "heatmap": "tab_heatmap",
         "distribution": "tab_distribution", "index": "tab_index", "public": "tab_public"}
if "view" not in st.session_state:
    wanted = st.query_params.get("view")
    st.session_state["view"] = wanted if wanted in VIEWS else "trend"
view = st.segmented_control(t("view"), list(VIEWS), key="view", format_func=lambda v: t(VIEWS[v]),
                            label_visibility="collapsed") or "trend"
if view != "trend":
    st.query_params["view"] = view
elif "view" in st.query_params:
    del st.query_params["view"]


def figure_column(title: str):
    return st.column_config.NumberColumn(title, format="%.0f%%" if share else "%.1f")


if view == "trend":
    frame = cached.figure("series", flt, indicator, grain, k)
    chart = charts.trend(frame, indicator, lang(), grain, value, k)
    st.altair_chart(charts.themed(chart, label), width="stretch", height=charts.page_height(chart))
    chart_downloads(frame, chart, f"trend_{indicator}_{grain}", label)

if view == "breakdown":
    options = ["level", "kind", sub_dimension(flt)]
    by = st.radio(t("by"), options, horizontal=True, key="by",
                  format_func=lambda d: t({"level": "dim_level", "kind": "dim_kind"}.get(
                      d, "dim_region")))
    frame = cached.figure("series", flt, indicator, grain, k, by)
    labels = {}
    if by == "level":
        labels = {c: domain.label(domain.LEVELS, c, lang()) for c in domain.LEVELS}
    elif by == "kind":
        labels = {c: domain.label(domain.POINT_KINDS, c, lang()) for c in domain.POINT_KINDS}
    elif by == "point":
        labels = names
    chart = charts.groups(frame, indicator, lang(), grain, t("by"), labels, value)
    st.altair_chart(charts.themed(chart, label), width="stretch",
                    height=charts.page_height(chart, 170))  # the legend sits below
    latest = frame[frame["bucket"] == bucket].copy()
    latest["group"] = latest["group"].map(lambda g: labels.get(g, g))
    change = "yoy_pp" if share else "yoy"
    # the change with its interval when it is read as the tiles read it (a share in points, a
    # mean relative); a change within chance reads 无明显变化
    matched = share == shown_as_share(indicator)
    latest["change_text"] = [
        (format_change(indicator, c, lang(), clear) if matched else
         f"{c:+.1%}" if pd.notna(c) else None) or "—"
        for c, clear in zip(latest[change], latest["yoy_clear"])]
    latest["interval"] = [format_interval(indicator, lo, hi, lang()) if matched else None
                          for lo, hi in zip(latest["yoy_low"], latest["yoy_high"])]
    # shares in percent: shown x100 ("62%", not 0.62)
    latest[value] = latest[value] * (100 if share else 1)
    table = latest[["group", value, "change_text", "interval", "n"]].rename(columns={
        "group": t("by"), value: label, "change_text": t("col_change_yoy"),
        "interval": t("col_interval"), "n": t("chart_n")})
    if st.toggle(t("ranking"), key="rank"):
        st.caption(":material/warning: " + t("ranking_caution"))
        table = table.sort_values(label, ascending=not rises_well(indicator))
    else:
        table = table.sort_values(t("by"))
    st.caption(bucket_label(bucket, grain, lang()))
    st.dataframe(table, hide_index=True, width="stretch", placeholder="—",
                 column_config={label: figure_column(label),
                                t("chart_n"): st.column_config.NumberColumn(format="%d")})
    chart_downloads(frame, chart, f"breakdown_{indicator}_{by}_{grain}", label)

if view == "heatmap":
    st.caption(t("heatmap_intro"))
    points_here = cached.figure("point_count", flt)
    frame = cached.figure("heatmap", flt, indicator, k) if points_here <= MAX_HEATMAP_POINTS \
        else None
    if points_here > MAX_HEATMAP_POINTS:
        st.info(t("heatmap_too_many", n=points_here, max=MAX_HEATMAP_POINTS))
    elif frame.empty:
        st.info(t("no_data"))
    else:
        chart = charts.heatmap(frame, indicator, lang(), k, value)
        st.altair_chart(charts.themed(chart, label), width="stretch",
                        height=charts.heatmap_height(frame))
        # the same figures as a list: a point per row, readable on a phone
        with st.expander(t("heatmap_table"), expanded=False):
            st.caption(t("heatmap_table_note", k=k))
            st.dataframe(point_sparklines(frame, value, lang()).rename(columns={
                "point": t("col_point"), "latest": t("heatmap_latest"),
                "spark": t("col_last_24"), "hidden": t("col_hidden_months")}),
                hide_index=True, width="stretch", placeholder="—",
                column_config={t("heatmap_latest"): figure_column(t("heatmap_latest")),
                               t("col_last_24"): st.column_config.LineChartColumn(
                                   t("col_last_24"))})
        chart_downloads(frame.drop(columns=["group"]), chart, f"heatmap_{indicator}", label)

if view == "distribution":
    st.caption(t("distribution_intro"))
    frame = cached.figure("series", flt, indicator, grain, k, None, True)
    chart = charts.distribution(frame, indicator, lang(), grain)
    st.altair_chart(charts.themed(chart, label), width="stretch", height=charts.page_height(chart))
    chart_downloads(frame, chart, f"distribution_{indicator}_{grain}", label)

if view == "index":
    definition, problems = cached.index_definition()
    if definition is None:
        st.error("\n".join(map(str, problems)))
    else:
        title = definition.title.get(lang())
        frame = cached.figure("burden_index", flt, definition, grain, k)
        if frame.empty or "index" not in frame:
            st.info(t("suppressed_note", k=k))
        else:
            chart = charts.index_chart(frame, lang(), grain, title)
            st.altair_chart(charts.themed(chart, title), width="stretch",
                            height=charts.page_height(chart))
            chart_downloads(frame, chart, f"burden_index_{grain}", title)
        with st.expander(t("index_definition"), expanded=True):
            st.write(definition.description.get(lang()))
            st.dataframe(pd.DataFrame([{t("indicator"): indicator_label(i, lang()),
                                        t("weight"): w} for i, w in definition.components]),
                         hide_index=True, width="stretch", placeholder="—")

if view == "public":
    st.caption(t("public_intro"))
    frame = cached.figure("public_and_cadres", flt, k)
    if frame.empty:
        st.info(t("no_data"))
    else:
        chart = charts.public_vs_cadres(frame, lang())
        st.altair_chart(charts.themed(chart, t("tab_public")), width="stretch",
                        height=charts.page_height(chart, 140))
        # the same quarter for both (the public's ratings may lag the cadres'), hidden as —
        latest, common = latest_common_quarter(frame)
        latest = latest.assign(
            who=latest["who"].map({"public": t("public_series"), "cadres": t("cadre_series")}),
            share=latest["share"] * 100,
            quarter=latest["bucket"].map(lambda b: bucket_label(b, "quarter", lang())))
        st.caption(t("public_latest_common", quarter=bucket_label(
            latest["bucket"].iloc[0], "quarter", lang())) if common else t("public_latest"))
        st.dataframe(latest[["who", "share", "mean", "n", "quarter"]].rename(columns={
            "who": " ", "share": t("share_satisfied"), "mean": t("mean"), "n": t("raters"),
            "quarter": t("col_quarter")}),
            hide_index=True, width="stretch", placeholder="—",
            column_config={t("share_satisfied"): st.column_config.NumberColumn(format="%.0f%%"),
                           t("mean"): st.column_config.NumberColumn(format="%.2f"),
                           t("raters"): st.column_config.NumberColumn(format="%d")})
        chart_downloads(frame, chart, "public_rating", t("tab_public"))
