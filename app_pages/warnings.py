"""Early warnings of rebound, with the evidence; a leader marks each one handled."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import charts, early_warning, fields
from survey.errors import message
from survey.store import StoreError
from survey.trends import alert_facts, indicator_label, month_label
from ui.auth import require
from ui import cached
from ui.context import escape, lang, startup, t
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
    rate = early_warning.false_alarm_rate(rules)
    st.caption(t("warnings_chance", n=points_here, rate=f"{rate:.0%}",
                 expected=f"{points_here * rate:.1f}",
                 warned=len({a.point_id for a in alerts})))
if not open_alerts:
    st.success(t("warnings_none"))
shown = open_alerts + (handled if st.toggle(t("show_handled")) else [])


def evidence_chart(alert):
    """The point's own months of the warned indicator over the band a year before predicts,
    and the baseline for a baseline rule."""
    series = pd.DataFrame(alert.facts["band"]).rename(columns={"month": "bucket"})
    reference = alert.facts.get("baseline")
    return charts.warning_evidence(series, alert.indicator, lang(), reference,
                                   t("baseline_rule") if reference is not None else None)


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
            with st.expander(f"{label} · {alert.rule.describe(lang())}", icon=icon):
                st.caption(alert_facts(alert, lang()))
                chart = evidence_chart(alert)
                st.altair_chart(charts.themed(chart), width="stretch",
                                height=charts.page_height(chart, 120))
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
