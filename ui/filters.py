"""The leaders' filter bar. Its state lives in the URL's query parameters, so a view can be
shared by copying the address."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey import domain, periods
from survey.metrics import GRAINS, Filter
from ui.context import escape, lang, t

ALL = ""  # the "all" choice; None would make Streamlit show an unselected placeholder


def _init(key: str, param: str, valid, default=None, many: bool = False) -> None:
    if key in st.session_state:
        return
    raw = st.query_params.get(param)
    if many:
        values = [v for v in (raw or "").split(",") if v in valid]
        st.session_state[key] = values
    else:
        st.session_state[key] = raw if raw in valid else (default if default is not None else ALL)


def _choose(label: str, key: str, param: str, options: list, fixed: str | None = None
            ) -> str | None:
    if fixed:  # inside the viewer's scope: shown, not changeable
        st.selectbox(label, [fixed], key=f"{key}_fixed", disabled=True)
        return fixed
    _init(key, param, options)
    if st.session_state[key] not in [ALL, *options]:
        st.session_state[key] = ALL
    everything = t("all")  # captured now: Streamlit may format outside a run (no language)
    return st.selectbox(label, [ALL, *options], key=key,
                        format_func=lambda v: everything if v == ALL else v) or None


def _month_text(language: str):
    """A month key (2024-11) as the reader's month: 2024年11月 in Chinese, as in the charts.
    The language is captured now: Streamlit may format outside a run."""
    if language != "zh":
        return lambda key: key
    return lambda key: f"{int(key[:4])}年{int(key[5:7])}月"


def _sync(params: dict) -> None:
    for name, value in params.items():
        if value in (None, "", []):
            if name in st.query_params:
                del st.query_params[name]
        else:
            text = ",".join(value) if isinstance(value, list) else str(value)
            if st.query_params.get(name) != text:
                st.query_params[name] = text


def filter_bar(tree: dict, span: tuple[dt.date, dt.date] | None, grain: bool = True,
               scope: tuple[str, ...] = ()) -> tuple[Filter, str]:
    """Render the filters; return the Filter (carrying the viewer's scope, which every query
    applies) and the grain (month/quarter/year)."""
    fixed = list(scope) + [None] * 3
    months = periods.span("month", f"{span[0]:%Y-%m}", f"{span[1]:%Y-%m}") if span else []
    with st.expander(t("filters"), expanded=False):
        a, b, c = st.columns(3)
        with a:
            prefecture = _choose(t("prefecture"), "f_pref", "pref", list(tree), fixed[0])
        with b:
            county = _choose(t("county"), "f_county", "county",
                             list(tree.get(prefecture, {})) if prefecture else [], fixed[1])
        with c:
            township = _choose(t("township"), "f_town", "town",
                               tree.get(prefecture, {}).get(county, []) if county else [],
                               fixed[2])
        d, e = st.columns(2)
        _init("f_level", "level", domain.LEVELS, many=True)
        levels = d.multiselect(t("level"), list(domain.LEVELS), key="f_level", placeholder=t("all"),
                               format_func=lambda v: domain.label(domain.LEVELS, v, lang()))
        _init("f_kind", "kind", domain.POINT_KINDS, many=True)
        kinds = e.multiselect(t("kind"), list(domain.POINT_KINDS), key="f_kind", placeholder=t("all"),
                              format_func=lambda v: domain.label(domain.POINT_KINDS, v, lang()))
        first = last = None
        if len(months) > 1:
            wanted = (st.query_params.get("from", months[0]), st.query_params.get("to", months[-1]))
            if not (all(w in months for w in wanted) and wanted[0] <= wanted[1]):
                wanted = (months[0], months[-1])
            first, last = st.select_slider(t("period_range"), months, value=wanted, key="f_range",
                                           format_func=_month_text(lang()))
        chosen = "month"
        if grain:
            _init("f_grain", "grain", GRAINS, "month")
            chosen = st.radio(t("grain"), GRAINS, key="f_grain", horizontal=True,
                              format_func=lambda g: t(f"grain_{g}"))
    summary = [" / ".join(x for x in (prefecture, county, township) if x) or t("whole_network")]
    summary += [domain.label(domain.LEVELS, v, lang()) for v in levels]
    summary += [domain.label(domain.POINT_KINDS, v, lang()) for v in kinds]
    if first and (first, last) != (months[0], months[-1]):
        summary.append(f"{_month_text(lang())(first)} – {_month_text(lang())(last)}")
    st.caption(":material/filter_alt: " + escape(" · ".join(summary)))
    _sync({"pref": prefecture, "county": county, "town": township, "level": levels,
           "kind": kinds, "from": first if first != (months[0] if months else None) else None,
           "to": last if last != (months[-1] if months else None) else None,
           "grain": chosen if chosen != "month" else None})
    flt = Filter(prefecture=prefecture, county=county, township=township, levels=tuple(levels),
                 kinds=tuple(kinds), scope=tuple(scope),
                 start=periods.bounds("month", first)[0] if first else None,
                 end=periods.bounds("month", last)[0] if last else None)
    return flt, chosen


def sub_dimension(flt: Filter) -> str:
    """The region level one below the current filter."""
    if flt.township:
        return "point"
    if flt.county:
        return "township"
    if flt.prefecture:
        return "county"
    return "prefecture"


def viewer_scope(viewer) -> tuple[str, ...]:
    """A leader sees only their region; admins see everything."""
    return tuple(viewer.region) if viewer is not None and viewer.role == "leader" else ()


def leader_header(title_key: str, intro_key: str, viewer, grain: bool = False, **intro
                  ) -> tuple[Filter, str]:
    """The top of every leaders' page: title, what it shows, the filter bar."""
    from ui import cached
    scope = viewer_scope(viewer)
    tree, span, _, _ = cached.meta(scope)
    st.title(t(title_key))
    st.caption(t(intro_key, **intro))
    return filter_bar(tree, span, grain, scope)
