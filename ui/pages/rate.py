"""Rate: a rater works through their queue of pairs, shown blind in a stable random order, choosing A / B / tie /
both bad, flagging unsafe responses and commenting, with the store's guidelines beside the pair. They can revise
their own earlier ratings, and type a prompt to have two of a run's models answer it on the spot (that pair comes
next).

No rating is lost: the pair on screen is pinned in the session (`st.session_state.pinned`) from the moment it is
shown until its rating is stored, whatever other raters do meanwhile, so the submitted form is always the one shown
and the rating goes to exactly that pair with the left/right order shown. A submission that cannot be stored says
why (st.error) and keeps the pair and the form on screen; a stored one is confirmed.
"""

import common
import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from workbench.errors import WorkbenchError
from workbench.store.live import MAX_NEW_TOKENS, answer, ask, model_folders
from workbench.store.ratings import (guidelines, my_ratings, next_pair, progress, record_comparison,
                                     shown_as_rated)

CHOICES = {"A is better": "A", "B is better": "B", "Tie": "tie", "Both bad": "both_bad"}


@st.cache_resource
def _model(folder: str):
    from workbench.models import load_model

    return load_model(folder)


def _models() -> dict:
    """{name: model folder} of the generative models of the UI's runs (a reward model cannot answer)."""
    found = {}
    for run_dir in common.run_dirs():
        for stage, folder in model_folders(run_dir).items():
            found[stage if len(common.run_dirs()) == 1 else f"{run_dir.name}/{stage}"] = folder
    return found


def ask_own_prompt(store) -> None:
    models = _models()
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
                run_dir = common.run_dirs()[0] if common.run_dirs() else None
                asked = ask(store, prompt, answers, settings, run_dir)
            except WorkbenchError as e:
                st.warning(str(e))
                return
            shown = next_pair(store, st.session_state.rater_name, asked)
            if shown is not None:
                _pin(shown)
            st.rerun()


def _pin(shown, revising=None) -> dict:
    """Keep `shown` on screen until its rating is stored; `revising` is the rater's earlier comparison of it."""
    st.session_state.forms = st.session_state.get("forms", 0) + 1  # fresh widgets for every pinned pair
    pin = {"rater": st.session_state.rater_name, "shown": shown, "form": st.session_state.forms,
           "revising": None if revising is None else {
               "choice": revising.choice, "unsafe_left": revising.unsafe_left, "unsafe_right": revising.unsafe_right,
               "comment": revising.comment}}
    st.session_state.pinned = pin
    return pin


def pinned_pair(store, rater: str) -> dict | None:
    pin = st.session_state.get("pinned")
    if pin is not None and pin["rater"] == rater:
        return pin
    shown = next_pair(store, rater)
    return _pin(shown) if shown is not None else None


def rate_pinned(store, rater: str) -> None:
    done = progress(store, rater)
    total = done["rated"] + done["left"]
    st.progress(done["rated"] / total if total else 0.0,
                text=f"{done['rated']} rated by you, {done['left']} left for you · team: {done['complete']} of "
                     f"{done['pairs']} pairs have {done['overlap']} ratings")
    saved = st.session_state.pop("saved", None)
    if saved:
        st.success(saved)
    pin = pinned_pair(store, rater)
    if pin is None:
        st.success("Nothing left to rate: you have rated every pair that still needs a rating." if done["pairs"] else
                   "No pairs to rate yet: import some with `workbench ratings import FILE`.")
        return
    shown, earlier, form = pin["shown"], pin["revising"] or {}, pin["form"]
    guide_column, pair_column = st.columns([1, 3])
    with guide_column:
        st.subheader("Guidelines")
        text = guidelines(store)
        if text:
            common.show_text(text)
        else:
            st.caption("No guidelines set (an admin sets them with `workbench ratings guidelines FILE`).")
    with pair_column:
        if pin["revising"] is not None:
            st.info(f"Revising your rating of pair {shown.pair_id}.")
        st.subheader("Prompt")
        for message in shown.prompt:
            st.text(message["role"])  # from a file: never markdown
            common.show_text(message["content"])
        with st.form(f"rate-{form}"):
            left, right = st.columns(2)
            with left:
                st.markdown("**Response A**")
                common.show_text(shown.left)
                unsafe_left = st.checkbox("A is unsafe", value=earlier.get("unsafe_left", False), key=f"unsafe-a-{form}")
            with right:
                st.markdown("**Response B**")
                common.show_text(shown.right)
                unsafe_right = st.checkbox("B is unsafe", value=earlier.get("unsafe_right", False), key=f"unsafe-b-{form}")
            labels = list(CHOICES)
            index = list(CHOICES.values()).index(earlier["choice"]) if "choice" in earlier else None
            choice = st.radio("Which response is better?", labels, index=index, horizontal=True, key=f"choice-{form}")
            comment = st.text_area("Comment (optional)", value=earlier.get("comment", ""), key=f"comment-{form}")
            submitted = st.form_submit_button("Submit rating")
        if st.button("Show another pair", help="Leave this pair unrated for now"):
            del st.session_state.pinned
            st.rerun()
    if submitted:
        if choice is None:
            st.warning("Choose A, B, tie or both bad first.")
            return
        try:
            record_comparison(store, rater, shown.pair_id, shown.left_id, shown.right_id, CHOICES[choice],
                              unsafe_left=unsafe_left, unsafe_right=unsafe_right, comment=comment)
        except WorkbenchError as e:
            st.error(f"Your rating was NOT saved: {e}")
            return
        except SQLAlchemyError as e:
            st.error(f"Your rating was NOT saved: the store could not be written ({str(e).splitlines()[0]}). "
                     "Submit again in a moment.")
            return
        del st.session_state.pinned
        st.session_state.saved = f"Saved your rating of pair {shown.pair_id}."
        st.rerun()


def revise(store, rater: str) -> None:
    mine = my_ratings(store, rater)
    with st.expander(f"Your ratings ({len(mine)}) — revise one"):
        if not mine:
            st.caption("You have not rated any pair yet.")
            return
        st.dataframe(pd.DataFrame(mine), hide_index=True)
        pair_id = st.selectbox("Pair", [row["pair_id"] for row in mine], key="revise_pair",
                               format_func=lambda p: f"pair {p}")
        if st.button("Revise this rating"):
            found = shown_as_rated(store, rater, pair_id)
            if found is not None:
                _pin(*found)
                st.rerun()


st.title("Rate responses")
store = common.store()
user = common.user()
if common.needs_login() and user is None:
    st.stop()  # app.py serves only the login form then; this is in case the page is reached otherwise
if user is not None:
    rater = user.name  # from the token: nobody rates under another name
    st.caption(f"Rating as {rater}")
else:
    # A widget's own state is dropped while other pages show, so the name is kept (and read by the Safety page) here:
    st.session_state.setdefault("rater", st.session_state.get("rater_name", ""))
    rater = st.text_input("Your name", key="rater").strip()
    if not rater:
        st.info("Type your name to start rating.")
        st.stop()
st.session_state.rater_name = rater
ask_own_prompt(store)
rate_pinned(store, rater)
revise(store, rater)
