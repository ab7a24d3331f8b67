"""Grassroots burden-reduction survey platform (为基层减负监测). The core never imports streamlit."""
