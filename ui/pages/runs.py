"""Runs: a run's stages with status, metrics and training curves, and the same prompts answered by each stage side
by side."""

import json
from pathlib import Path

import common
import pandas as pd
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.store.runs import history, registered_runs, side_by_side, stage_table

PER_PAGE = 10

st.title("Runs")
known = registered_runs(common.store())
default = str(common.run_dir() or (known[0] if known else ""))
others = [path for path in known if path != default]
if others:
    st.caption("Other runs opened before: " + ", ".join(others))
run_dir = Path(st.text_input("Run directory", value=default, key="run_dir").strip() or ".")
try:
    stages = stage_table(run_dir)
except WorkbenchError as e:
    st.info(str(e))
    st.stop()

st.subheader("Stages")
st.dataframe(pd.DataFrame([{**row, "metrics": json.dumps(row["metrics"])} for row in stages]), hide_index=True)

curves = {row["stage"]: history(run_dir, row["stage"]) for row in stages}
curves = {stage: rows for stage, rows in curves.items() if rows}
st.subheader("Training curves")
if curves:
    loss = pd.concat([pd.DataFrame(rows).set_index("step")["loss"].rename(stage) for stage, rows in curves.items()],
                     axis=1).sort_index()
    st.line_chart(loss, x_label="step", y_label="training loss")
else:
    st.caption("No stage of this run has a training history yet.")

st.subheader("Side by side")
try:
    sample_stages, samples = side_by_side(run_dir)
except WorkbenchError as e:
    st.warning(str(e))
    st.stop()
if not samples:
    st.caption("No stage of this run wrote samples.jsonl yet.")
    st.stop()
search = st.text_input("Search prompts", key="sample_search").strip().lower()
samples = [row for row in samples if search in row["prompt"].lower()]
pages = max(1, -(-len(samples) // PER_PAGE))
page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, key="sample_page")
for row in samples[(page - 1) * PER_PAGE: page * PER_PAGE]:
    st.markdown(f"**Prompt {row['id']}**")
    common.show_text(row["prompt"])
    for column, stage in zip(st.columns(len(sample_stages)), sample_stages):
        with column:
            st.caption(stage)
            common.show_text(row[stage] if row[stage] is not None else "(no answer)")
