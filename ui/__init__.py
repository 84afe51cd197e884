"""The Streamlit app, installed as `workbench.ui`; `workbench ui` runs its `app.py` (see workbench.store.cli)."""
