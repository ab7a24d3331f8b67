"""Leaders: is the burden falling, where not, where is it coming back?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import charts, domain
from survey.indicators import INDICATORS
from survey.metrics import HEADLINE
from survey.trends import bucket_label, indicator_label, indicator_unit
from ui.auth import require
from ui import cached
from ui.context import lang, startup, t
from ui.downloads import chart_downloads
from ui.filters import leader_header, sub_dimension

viewer = require("trends")

MAX_HEATMAP_POINTS = 80  # beyond this a row per point is unreadable: narrow the region first
k = startup().config.k_anonymity
flt, grain = leader_header("nav_trends", "trends_intro", viewer, grain=True, k=k)
_, _, names, has_demo = cached.meta()
if has_demo:
    st.caption(":material/info: " + t("demo_banner"))

bucket, heads = cached.figure("headline", flt, grain, None, k)
if heads.empty:
    st.info(t("no_data"))
    st.stop()


def fmt_value(indicator: str, row) -> str:
    if row["suppressed"]:
        return t("suppressed_value")
    if INDICATORS[indicator].aggregate == "share":
        return f"{row['share']:.0%}"
    return f"{row['mean']:.1f}"


def fmt_change(value) -> str | None:
    return None if value is None or pd.isna(value) else f"{value:+.1%}"


# -- headline -------------------------------------------------------------------------------
st.subheader(t("headline_title", period=bucket_label(bucket, grain)))
if (months := int(heads["months"].max() or 0)) and grain != "month" and \
        months < {"quarter": 3, "year": 12}[grain]:
    st.caption(":material/warning: " + t("partial_period", m=months))
columns = st.columns(3)
for i, row in heads.iterrows():
    key = row["indicator"]
    with columns[i % 3]:
        yoy = fmt_change(row["yoy"])
        st.metric(indicator_label(key, lang()), fmt_value(key, row),
                  delta=f"{yoy} {t('yoy')}" if yoy else None,  # sign first: it sets the arrow
                  delta_color="inverse" if INDICATORS[key].lower_is_better else "normal",
                  help=indicator_unit(key, lang()))
        pop = fmt_change(row["pop"])
        notes = [f"{t('pop')} {pop}" if pop else f"{t('pop')}: {t('no_change')}"]
        if not yoy:
            notes.append(f"{t('yoy')}: {t('no_change')}")
        if row["suppressed"]:
            notes = [t("suppressed_note", k=k)]
        elif INDICATORS[key].aggregate == "likert":
            notes.append(f"{t('share_label')} {row['share']:.0%}")
        st.caption(" · ".join(notes))

# -- tabs ------------------------------------------------------------------------------------
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

if view == "trend":
    frame = cached.figure("series", flt, indicator, grain, k)
    value = "mean"
    if INDICATORS[indicator].aggregate != "mean" and st.toggle(
            t("show_share"), value=INDICATORS[indicator].aggregate == "share"):
        value = "share"
    chart = charts.trend(frame, indicator, lang(), grain, value, k)
    st.altair_chart(charts.themed(chart, label), width="stretch")
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
    chart = charts.groups(frame, indicator, lang(), grain, t("by"), labels)
    st.altair_chart(charts.themed(chart, label), width="stretch")
    latest = frame[frame["bucket"] == bucket].copy()
    latest["group"] = latest["group"].map(lambda g: labels.get(g, g))
    table = latest[["group", "n", "mean", "yoy", "suppressed"]].rename(columns={
        "group": t("by"), "n": t("chart_n"), "mean": label, "yoy": t("yoy")})
    if st.toggle(t("ranking"), key="rank"):
        st.caption(":material/warning: " + t("ranking_caution"))
        table = table.sort_values(label, ascending=INDICATORS[indicator].lower_is_better)
    else:
        table = table.sort_values(t("by"))
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={t("yoy"): st.column_config.NumberColumn(format="percent"),
                                label: st.column_config.NumberColumn(format="%.2f")})
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
        chart = charts.heatmap(frame, indicator, lang(), k)
        st.altair_chart(charts.themed(chart, label), width="stretch")
        chart_downloads(frame.drop(columns=["group"]), chart, f"heatmap_{indicator}", label)

if view == "distribution":
    st.caption(t("distribution_intro"))
    frame = cached.figure("series", flt, indicator, grain, k, None, True)
    chart = charts.distribution(frame, indicator, lang(), grain)
    st.altair_chart(charts.themed(chart, label), width="stretch")
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
            st.altair_chart(charts.themed(chart, title), width="stretch")
            chart_downloads(frame, chart, f"burden_index_{grain}", title)
        with st.expander(t("index_definition"), expanded=True):
            st.write(definition.description.get(lang()))
            st.dataframe(pd.DataFrame([{t("indicator"): indicator_label(i, lang()),
                                        t("weight"): w} for i, w in definition.components]),
                         hide_index=True, width="stretch")

if view == "public":
    st.caption(t("public_intro"))
    frame = cached.figure("public_and_cadres", flt, k)
    if frame.empty:
        st.info(t("no_data"))
    else:
        chart = charts.public_vs_cadres(frame, lang())
        st.altair_chart(charts.themed(chart, t("tab_public")), width="stretch")
        latest = frame[frame["bucket"] == frame["bucket"].max()]
        st.dataframe(latest.assign(who=latest["who"].map(
            {"public": t("public_series"), "cadres": t("cadre_series")}))[
            ["who", "mean", "share", "n"]].rename(columns={
                "who": " ", "mean": t("mean"), "share": t("share_satisfied"), "n": t("raters")}),
            hide_index=True, width="stretch",
            column_config={t("share_satisfied"): st.column_config.NumberColumn(format="percent"),
                           t("mean"): st.column_config.NumberColumn(format="%.2f")})
        chart_downloads(frame, chart, "public_rating", t("tab_public"))
