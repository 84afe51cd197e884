"""The workbench UI: rate responses, inspect safety-filter decisions, browse preference data, compare a run's stages.

Started by `workbench ui [--db URL] [--run-dir DIR ...] [--host H] [--port P]`, which runs `streamlit run ui/app.py`.
Where a login is required (see `common.login`) nothing shows before it; raters see only the Rate page, admins all.
"""

import common
import streamlit as st

st.set_page_config(page_title="Workbench", layout="wide")
common.login()
pages = [st.Page("pages/rate.py", title="Rate", default=True)]
if common.is_admin():
    pages += [st.Page("pages/safety.py", title="Safety filters"),
              st.Page("pages/preferences.py", title="Preference data"),
              st.Page("pages/runs.py", title="Runs")]
st.navigation(pages).run()
