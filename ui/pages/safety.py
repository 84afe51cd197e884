"""Safety filters (admins): what the filters decided, per rule; the redacted and dropped records with their spans
highlighted, filtered by rule and searched; and overriding a decision (keep or drop) with a reason. The override
form has one fixed key and names the record by its key when submitted, so a submission is never dropped because the
list changed under it (several copies of one record share a key, and an override applies to all of them)."""

import json

import common
import pandas as pd
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.safety.taxonomy import category_in, decider_in, label, score_in
from workbench.safety.texts import record_texts
from workbench.store.filters import decisions, override, overrides_document

common.require_admin()
st.title("Safety filters")
store = common.store()
found = decisions(store)
if not found:
    st.info("No filter decisions yet: import a filter's output with `workbench filter-decisions import DIR`, "
            "or start the UI with `--run-dir` on a run that has a filter stage.")
    st.stop()

table = pd.DataFrame([{"id": d.id, "key": d.key, "action": d.action, "rule": d.rule or "(none)",
                       "category": category_in(d.reason) or "", "score": score_in(d.reason),
                       "decided by": decider_in(d.reason) or "", "reason": d.reason,
                       "override": d.override or "", "source": d.source} for d in found])
st.subheader("Decisions per rule")
counts = table.groupby(["rule", "action"]).size().rename("records").reset_index()
st.bar_chart(counts, x="rule", y="records", color="action")
st.dataframe(counts.pivot(index="rule", columns="action", values="records").fillna(0).astype(int))

st.subheader("Rejected and redacted records")
flagged = table[table.action != "kept"]
rules = st.multiselect("Rules", sorted(flagged.rule.unique()), key="rules")
search = st.text_input("Search records and reasons", key="search").strip().lower()
by_id = {d.id: d for d in found}
shown = flagged[flagged.rule.isin(rules)] if rules else flagged
if search:
    shown = shown[[search in (json.dumps(by_id[i].record, ensure_ascii=False) + " " + by_id[i].reason).lower()
                   for i in shown.id]]
st.caption(f"{len(shown)} of {len(flagged)} records")
st.dataframe(shown.drop(columns=["source"]), hide_index=True)
if shown.empty:
    st.stop()

chosen = st.selectbox("Record", list(shown.id), key="record",
                      format_func=lambda i: f"#{i} · {by_id[i].key} · {by_id[i].action} · {by_id[i].rule or ''}")
decision = by_id[chosen]
category, score, decider = category_in(decision.reason), score_in(decision.reason), decider_in(decision.reason)
st.markdown(f"**{decision.action}** by rule `{decision.rule}`"
            + (f" · hazard category **{label(category)}**" if category else "")
            + (f" · classifier P(unsafe) **{score:.2f}**" if score is not None else "")
            + (f" · decided by **{decider}**" if decider else ""))
common.show_text(decision.reason or "(no reason given)")
if not decision.record:
    st.caption("The record itself is not in the filter's output folder (nor its input file), so only the decision shows.")
for text in record_texts(decision.record):
    spans = [(start, end, label) for start, end, label, path in decision.spans if path == text.path]
    labels = sorted({label for _, _, label in spans})
    st.caption(f"{text.path} ({text.role})" + (f" — marked: {', '.join(labels)}" if labels else ""))
    st.html(common.highlighted(text.text, spans))
if decision.override:
    st.text(f"Overridden: {decision.override} by {decision.override_who} — {decision.override_why}")  # typed text: never markdown

user = st.session_state.get("user")
with st.form("override", clear_on_submit=True):
    st.markdown("**Override this decision**")
    action = st.radio("The record should be", ["keep", "drop"], horizontal=True, key="override_action")
    if user is None:
        who = st.text_input("Your name", value=st.session_state.get("rater_name", ""), key="override_who")
    else:
        who = user.name
        st.caption(f"As {who}")
    why = st.text_area("Reason", key="override_why")
    submitted = st.form_submit_button("Save override")
if submitted:
    try:
        override(store, decision.key, action, who, why)
    except WorkbenchError as e:
        st.error(f"The override was NOT saved: {e}")
    else:
        st.session_state.override_saved = f"Saved: {action} record {decision.key}."
        st.rerun()
if "override_saved" in st.session_state:
    st.success(st.session_state.pop("override_saved"))

st.download_button("Download overrides.json (for the filter stage)", json.dumps(overrides_document(store), indent=2),
                   file_name="overrides.json", mime="application/json")
