"""Runs (admins): a run's stages with status and metrics (as tables), training curves, the evaluation report's
tables and plots, and the chain's models answering the same prompts side by side, one prompt at a time.

Only the run directories the UI was started with (`--run-dir`) can be opened. Nothing read from a run's files is
rendered as Markdown or HTML: sample ids, stage names and answers go through `st.text`, `st.code` or dataframes.
"""

import json

import common
import pandas as pd
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.store.runs import evaluations, history, metrics_table, report_tables, side_by_side, stage_table

ANSWERS_PER_ROW = 2

common.require_admin()
st.title("Runs")
run_dirs = common.run_dirs()
if not run_dirs:
    st.info("No run to show: start the UI with `workbench ui --run-dir RUN_DIR` (the option may be repeated).")
    st.stop()
run_dir = st.selectbox("Run", run_dirs, format_func=str, key="run") if len(run_dirs) > 1 else run_dirs[0]
st.text(f"Run directory: {run_dir}")
try:
    stages = stage_table(run_dir)
except WorkbenchError as e:
    st.error(str(e))
    st.stop()

st.subheader("Stages")
st.dataframe(pd.DataFrame([{k: v for k, v in row.items() if k != "metrics"} for row in stages]), hide_index=True)
metrics = metrics_table(stages)
if metrics:
    st.markdown("**Metrics**")
    table = pd.DataFrame(metrics)
    table["value"] = [v if isinstance(v, (int, float)) or v is None else str(v) for v in table["value"]]
    st.dataframe(table.pivot(index="metric", columns="stage", values="value")
                 .reindex(columns=[row["stage"] for row in stages if row["stage"] in set(table.stage)]).astype(object))

curves = {row["stage"]: history(run_dir, row["stage"]) for row in stages}
curves = {stage: rows for stage, rows in curves.items() if rows}
st.subheader("Training curves")
if curves:
    loss = pd.concat([pd.DataFrame(rows).drop_duplicates("step", keep="last").set_index("step")["loss"].rename(stage)
                      for stage, rows in curves.items()], axis=1).sort_index()
    st.line_chart(loss, x_label="step", y_label="training loss")
else:
    st.caption("No stage of this run has a training history yet.")

try:
    reports = evaluations(run_dir)
except WorkbenchError as e:
    reports = []
    st.warning(str(e))
for found in reports:
    st.subheader("Evaluation report")
    st.text(f"stage {found['stage']}")
    if found["report"] is None:
        st.caption("This evaluate stage has no report.json yet.")
    else:
        tables = report_tables(found["report"])
        for name, title in (("summary", "Headline figures per model"),
                            ("gains", "Paired accuracy gain over the previous model"),
                            ("skills", "Accuracy per skill"), ("stages", "Stage wall times")):
            if tables[name]:
                st.markdown(f"**{title}**")
                st.dataframe(pd.DataFrame(tables[name]), hide_index=True)
        with st.expander("report.json settings"):
            st.code(json.dumps(found["report"].get("settings"), indent=2), language="json")
    for plot in found["plots"]:
        st.text(plot.name)
        st.image(str(plot))

st.subheader("Side by side")
try:
    columns, samples = side_by_side(run_dir)
except WorkbenchError as e:
    st.warning(str(e))
    st.stop()
if not samples:
    st.caption("No stage of this run wrote samples.jsonl yet.")
    st.stop()
search = st.text_input("Search prompts", key="sample_search").strip().lower()
samples = [row for row in samples if search in row["prompt"].lower()]
if not samples:
    st.caption("No prompt matches.")
    st.stop()
number = st.number_input(f"Prompt (1 to {len(samples)})", min_value=1, max_value=len(samples), value=1,
                         key="sample_number")
row = samples[number - 1]
st.text(f"Prompt {number} of {len(samples)} · sample id {row['id']}")
common.show_text(row["prompt"])
for start in range(0, len(columns), ANSWERS_PER_ROW):
    for column, cell in zip(columns[start:start + ANSWERS_PER_ROW], st.columns(ANSWERS_PER_ROW)):
        with cell:
            st.text(column)
            common.show_text(row[column] if row[column] is not None else "(no answer)")
