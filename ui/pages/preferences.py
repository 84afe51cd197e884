"""Preference data (admins): browse, search and filter the comparisons; the choice distribution, per-model win
rates; agreement between raters (overall: Krippendorff's alpha and Fleiss' kappa; every two raters: Cohen's kappa;
per rater: agreement with the others and accuracy on gold pairs); export as a TRL preference dataset."""

import json

import common
import pandas as pd
import streamlit as st

from workbench.store.preference_io import AGGREGATES, preference_rows
from workbench.store.gold import gold_answers
from workbench.store.ratings import overlap
from workbench.store.stats import agreement, choice_distribution, comparison_table, rater_table, win_rates

common.require_admin()
st.title("Preference data")
store = common.store()
table = comparison_table(store)
if not table:
    st.info("No comparisons yet: rate pairs on the Rate page or import a preference file with "
            "`workbench ratings import FILE`.")
    st.stop()

frame = pd.DataFrame(table)
models = sorted(set(frame.left_model) | set(frame.right_model))
filters = st.columns(4)
search = filters[0].text_input("Search prompts, responses, comments", key="search").strip().lower()
raters = filters[1].multiselect("Raters", sorted(frame.rater.unique()), key="raters")
choices = filters[2].multiselect("Choices", ["A", "B", "tie", "both_bad"], key="choices")
chosen_models = filters[3].multiselect("Models", models, key="models")
shown = frame
if search:
    text = (shown.prompt + "\n" + shown.left + "\n" + shown.right + "\n" + shown.comment).str.lower()
    shown = shown[text.str.contains(search, regex=False)]
if raters:
    shown = shown[shown.rater.isin(raters)]
if choices:
    shown = shown[shown.choice.isin(choices)]
if chosen_models:
    shown = shown[shown.left_model.isin(chosen_models) | shown.right_model.isin(chosen_models)]
st.caption(f"{len(shown)} of {len(frame)} comparisons (A = the response shown on the left)")
st.dataframe(shown[["id", "pair_id", "rater", "created_at", "prompt", "left_model", "left", "right_model", "right",
                    "choice", "winner_model", "unsafe_left", "unsafe_right", "comment"]], hide_index=True)

rows = shown.to_dict("records")
left, right = st.columns(2)
with left:
    st.subheader("Choices")
    distribution = choice_distribution(rows)
    st.bar_chart(pd.DataFrame({"choice": list(distribution), "comparisons": list(distribution.values())}),
                 x="choice", y="comparisons")
with right:
    st.subheader("Win rates")
    st.caption("(wins + ties / 2) / comparisons against a different model")
    st.dataframe(pd.DataFrame(win_rates(rows)), hide_index=True)

st.subheader("Agreement between raters")
st.caption(f"Each pair is offered to {overlap(store)} raters (`workbench ratings overlap N`); agreement is on the "
           "outcome in the pair's own order, over the comparisons shown above.")
result = agreement(rows)
overall = st.columns(2)
if result["krippendorff"]:
    alpha = result["krippendorff"]["alpha"]
    overall[0].metric(f"Krippendorff's alpha ({result['krippendorff']['pairs']} pairs with 2+ raters)",
                      "undefined" if alpha is None else f"{alpha:.3f}")
if result["fleiss"]:
    fleiss = result["fleiss"]
    value = "undefined" if fleiss["kappa"] is None else f"{fleiss['kappa']:.3f}"
    overall[1].metric(f"Fleiss' kappa ({fleiss['pairs']} pairs with {fleiss['raters_per_pair']} raters each)", value)
if result["cohen"]:
    st.dataframe(pd.DataFrame([{"rater 1": c["raters"][0], "rater 2": c["raters"][1], "shared pairs": c["shared"],
                                "Cohen's kappa": c["kappa"]} for c in result["cohen"]]), hide_index=True)
if not result["fleiss"] and not result["cohen"]:
    st.caption("No pair has been rated by two raters yet.")
st.markdown("**Per rater**")
st.caption("agreement: how often the rater's outcome equals another rater's on a pair both rated; gold accuracy: "
           "on pairs with a known answer (`workbench ratings gold FILE`)")
st.dataframe(pd.DataFrame(rater_table(rows, gold_answers(store))), hide_index=True)

st.subheader("Export")
aggregate = st.radio("Rows", AGGREGATES, horizontal=True, key="aggregate",
                     format_func={"each": "one per comparison", "majority": "one per pair (majority vote)"}.get)
exported = preference_rows(store, aggregate)
st.caption(f"{len(exported)} rows from the whole store; ties, both-bad and unsafe winners are left out. "
           "The same as `workbench ratings export`.")
st.download_button("Download preference.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exported),
                   file_name="preference.jsonl", mime="application/jsonl", disabled=not exported)
