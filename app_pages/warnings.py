"""Early warnings of rebound, with the evidence; a leader marks each one handled."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import charts, early_warning, fields
from survey.errors import message
from survey.store import StoreError
from survey.trends import (alert_facts, chance_sentence, coverage, indicator_label, month_label,
                           percent)
from ui.auth import require
from ui import cached
from ui.context import escape, lang, startup, t
from ui.downloads import chart_downloads
from ui.filters import leader_header

viewer = require("warnings")

app = startup()
k = app.config.k_anonymity
flt, _ = leader_header("nav_warnings", "warnings_intro_rules", viewer)  # no file path
names = cached.meta()[2]
rules, problems = cached.rules()
if problems:
    st.error(t("rule_problems") + "\n\n" + "\n".join(f"- `{p}`" for p in problems))
latest, alerts, evidence = cached.figure("alerts", flt, rules, k)
states = app.store.warning_states()
open_alerts = [a for a in alerts if early_warning.is_open(a, states)]
handled = [a for a in alerts if not early_warning.is_open(a, states)]
if latest:
    st.caption(t("warnings_evaluated", month=month_label(latest, lang())) + " · " +
               t("warnings_open", n=len(open_alerts)) + " · " + t("warnings_handled", n=len(handled)))
    # what chance alone gives among the points shown: a leader compares the count with it
    points_here = cached.figure("point_count", flt)
    st.caption(chance_sentence(points_here, len({a.point_id for a in alerts}),
                               early_warning.false_alarm_rate(rules), lang()))
if not open_alerts:
    st.success(t("warnings_none"))
shown = open_alerts + (handled if st.toggle(t("show_handled")) else [])


def evidence_chart(alert):
    """The point's own months of the warned indicator over the band a year before predicts,
    the window the rule tested with its range, and the baseline for a baseline rule."""
    f = alert.facts
    series = pd.DataFrame(f["band"]).rename(columns={"month": "bucket"})
    reference = f.get("baseline")
    window = charts.Window(*f["window"], f["observed"], f["low"], f["high"])
    return charts.warning_evidence(series, alert.indicator, lang(), reference,
                                   t("baseline_rule") if reference is not None else None,
                                   window, k)


def evidence_note(alert) -> str:
    alpha = alert.facts["alpha"]
    return t("evidence_note", n=alert.rule.window, coverage=coverage(alpha), tail=percent(alpha))


# Only an open warning draws its chart (a layered chart costs 0.3-0.5 s on the server: the
# admin's 46 demo warnings took 7-11 s a rerun): the first one opens by itself, the others on
# a tap (a rerun).
first_shown = True
by_point: dict[str, list] = {}
for alert in shown:
    by_point.setdefault(alert.point_id, []).append(alert)
for point_id in sorted(by_point, key=lambda p: names.get(p, p)):
    alerts_here = sorted(by_point[point_id], key=lambda a: (a.indicator, a.rule.id))
    with st.container(border=True):
        n_open = sum(early_warning.is_open(a, states) for a in alerts_here)
        st.markdown(f"**{escape(names.get(point_id, point_id))}** · {t('warnings_open', n=n_open)}")
        for alert in alerts_here:
            label = indicator_label(alert.indicator, lang())
            state = states.get(alert.key)
            done = state is not None and not early_warning.is_open(alert, states)
            icon = ":material/check_circle:" if done else ":material/warning:"
            with st.expander(f"{label} · {alert.rule.describe(lang())}", icon=icon,
                             expanded=first_shown, key=f"open:{alert.key}",
                             on_change="rerun") as box:
                first_shown = False
                if not box.open:
                    continue
                st.caption(alert_facts(alert, lang()))
                chart = evidence_chart(alert)
                st.altair_chart(charts.themed(chart), width="stretch",
                                height=charts.evidence_height(chart))
                st.caption(evidence_note(alert))
                chart_downloads(evidence[(evidence["point"] == alert.point_id) &
                                         (evidence["indicator"] == alert.indicator)],
                                chart, f"warning_{alert.key.replace(':', '_')}",
                                f"{names.get(point_id, point_id)} · {label}")
                if done:
                    st.info(t("handled_info", by=escape(state["by"]),
                              at=f"{state['at']:%Y-%m-%d %H:%M}", note=escape(state["note"])))
                    continue
                with st.form(f"handle:{alert.key}", border=False):
                    note = st.text_area(t("handle_note"), max_chars=fields.WARNING_NOTE.limit, height=80,
                                        key=f"note:{alert.key}")
                    if st.form_submit_button(t("mark_handled")):
                        try:
                            app.store.handle_warning(alert.key, alert.latest, viewer.username,
                                                     note)
                            st.rerun()
                        except StoreError as exc:
                            st.error(message(exc, lang()))
