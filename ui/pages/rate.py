"""Rate: a rater names themselves, then works through their queue of pairs, shown blind in a stable random order,
choosing A / B / tie / both bad, flagging unsafe responses and commenting. They can also type a prompt and have two
of the run's models answer it on the spot; that pair comes next in their queue."""

import common
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.store.live import MAX_NEW_TOKENS, answer, ask, model_folders
from workbench.store.ratings import next_pair, progress, record_comparison

CHOICES = {"A is better": "A", "B is better": "B", "Tie": "tie", "Both bad": "both_bad"}


@st.cache_resource
def _model(folder: str):
    from workbench.models import load_model

    return load_model(folder)


def ask_own_prompt(store) -> None:
    models = model_folders(common.run_dir())
    with st.expander("Ask your own prompt"):
        if len(models) < 2:
            st.caption("Start the UI with --run-dir on a run whose stages saved at least two models to ask them here.")
            return
        with st.form("ask"):
            prompt = st.text_area("Prompt")
            first = st.selectbox("First model", list(models), index=0)
            second = st.selectbox("Second model", list(models), index=1)
            max_new_tokens = st.number_input("Max new tokens", min_value=1, max_value=512, value=MAX_NEW_TOKENS)
            submitted = st.form_submit_button("Ask both models")
        if submitted:
            if first == second:
                st.warning("Choose two different models.")
                return
            try:
                with st.spinner("The models are answering…"):
                    answers = {stage: answer(*_model(str(models[stage])), prompt, max_new_tokens)
                               for stage in (first, second)}
                settings = {"max_new_tokens": max_new_tokens, "do_sample": False}
                st.session_state.asked_pair = ask(store, prompt, answers, settings, common.run_dir())
            except WorkbenchError as e:
                st.warning(str(e))
                return
            st.rerun()


def rate_next(store, rater: str) -> None:
    done, total = progress(store, rater)
    st.progress(done / total if total else 0.0, text=f"{done} of {total} pairs rated")
    shown = next_pair(store, rater, st.session_state.get("asked_pair"))
    if shown is None and st.session_state.pop("asked_pair", None) is not None:
        shown = next_pair(store, rater)
    if shown is None:
        st.success("Nothing left to rate: you have rated every pair in the store." if total else
                   "No pairs to rate yet: import some with `workbench ratings import FILE`.")
        return
    st.subheader("Prompt")
    for message in shown.prompt:
        st.caption(message["role"])
        common.show_text(message["content"])
    with st.form(f"pair-{shown.pair_id}"):
        left, right = st.columns(2)
        with left:
            st.markdown("**Response A**")
            common.show_text(shown.left)
            unsafe_left = st.checkbox("A is unsafe", key=f"unsafe-a-{shown.pair_id}")
        with right:
            st.markdown("**Response B**")
            common.show_text(shown.right)
            unsafe_right = st.checkbox("B is unsafe", key=f"unsafe-b-{shown.pair_id}")
        choice = st.radio("Which response is better?", list(CHOICES), index=None, horizontal=True,
                          key=f"choice-{shown.pair_id}")
        comment = st.text_area("Comment (optional)", key=f"comment-{shown.pair_id}")
        submitted = st.form_submit_button("Submit rating")
    if submitted:
        if choice is None:
            st.warning("Choose A, B, tie or both bad first.")
            return
        record_comparison(store, rater, shown.pair_id, shown.left_id, shown.right_id, CHOICES[choice],
                          unsafe_left=unsafe_left, unsafe_right=unsafe_right, comment=comment)
        st.session_state.pop("asked_pair", None)
        st.rerun()


st.title("Rate responses")
store = common.store()
# A widget's own state is dropped while other pages show, so the name is kept (and read by the Safety page) here:
st.session_state.setdefault("rater", st.session_state.get("rater_name", ""))
rater = st.text_input("Your name", key="rater").strip()
st.session_state.rater_name = rater
if not rater:
    st.info("Type your name to start rating.")
    st.stop()
ask_own_prompt(store)
rate_next(store, rater)
