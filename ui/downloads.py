"""Download buttons for a chart: its data as CSV and the chart as PNG (rendered on click)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import charts, safe_files
from ui.auth import audit
from ui.context import t


def chart_downloads(frame: pd.DataFrame, chart, name: str, title: str) -> None:
    left, right = st.columns(2)
    left.download_button(t("download_csv"), safe_files.csv_bytes(frame), file_name=f"{name}.csv",
                         mime="text/csv", key=f"csv:{name}", width="stretch",
                         on_click=audit, args=("download", f"{name}.csv"))
    right.download_button(t("download_png"), lambda: charts.to_png(chart, title),
                          file_name=f"{name}.png", mime="image/png", key=f"png:{name}",
                          width="stretch", on_click=audit,
                          args=("download", f"{name}.png"))
