"""Streamlit helpers shared by the pages. Business rules stay in the survey package."""
