"""The UI's pages, run by Streamlit as scripts (each imports `common`, which Streamlit finds next to app.py)."""
