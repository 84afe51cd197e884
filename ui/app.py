"""The workbench UI: rate responses, inspect safety-filter decisions, browse preference data, compare a run's stages.

Started by `workbench ui [--db URL] [--run-dir DIR] [--port P]`, which runs `streamlit run ui/app.py`.
"""

import streamlit as st

st.set_page_config(page_title="Workbench", layout="wide")
st.navigation([
    st.Page("pages/rate.py", title="Rate", default=True),
    st.Page("pages/safety.py", title="Safety filters"),
    st.Page("pages/preferences.py", title="Preference data"),
    st.Page("pages/runs.py", title="Runs"),
]).run()
