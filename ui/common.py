"""What every page of the UI shares: the store and run directories it was started with, who is logged in, and
showing model text.

`workbench ui` passes the store's URL in `WORKBENCH_DB`, the address it listens on in `WORKBENCH_HOST` and the run
directories in `WORKBENCH_RUN_DIRS` (separated by `os.pathsep`); no page opens any other run directory.
Login (`workbench.store.access`): where one is required, `login()` asks for a token and keeps the user it stands
for in the session; otherwise the local user is an admin who types their name on the Rate page.
Model text is always shown as text: `show_text` puts it in a plain code block and `highlighted` escapes every
character before adding its own `<mark>` tags, so no HTML or markdown from a model is ever rendered.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path

import streamlit as st

from workbench.store import Store, open_store
from workbench.store.access import User, login_required, user_for_token


@st.cache_resource
def _open(url: str) -> Store:
    return open_store(url, create=False)


def store() -> Store:
    return _open(os.environ.get("WORKBENCH_DB") or "runs/workbench.db")


def run_dirs() -> list[Path]:
    """The run directories the UI was started with (`--run-dir`), in order."""
    return [Path(value) for value in os.environ.get("WORKBENCH_RUN_DIRS", "").split(os.pathsep) if value]


def needs_login() -> bool:
    return login_required(store(), os.environ.get("WORKBENCH_HOST") or "127.0.0.1")


def login() -> User | None:
    """The logged-in user where a login is required, None where not (the local user, an admin). Before a login,
    only the login form is served (as the app's one page, so no other page is even listed) and the run stops."""
    if not needs_login():
        return None
    user = st.session_state.get("user")
    if user is None:
        st.navigation([st.Page(_login_form, title="Log in")], position="hidden").run()
        st.stop()
    st.sidebar.caption(f"Logged in as {user.name}" + (" (admin)" if user.admin else ""))
    if st.sidebar.button("Log out"):
        st.session_state.clear()
        st.rerun()
    return user


def _login_form() -> None:
    st.title("Workbench")
    with st.form("login"):
        token = st.text_input("Your token", type="password", key="token",
                              help="Your admin gives you one: workbench ratings tokens add NAME")
        submitted = st.form_submit_button("Log in")
    if submitted:
        user = user_for_token(store(), token)
        if user is None:
            time.sleep(1)  # slows down guessing
            st.error("Unknown token. Ask your admin for yours.")
        else:
            st.session_state.user = user
            st.rerun()


def user() -> User | None:
    """The logged-in user (None where no login is required, or before it)."""
    return st.session_state.get("user") if needs_login() else None


def is_admin() -> bool:
    user = st.session_state.get("user")
    return not needs_login() or (user is not None and user.admin)


def require_admin() -> None:
    """Stop a page that only admins may see (overrides, exports, runs)."""
    if not is_admin():
        st.error("This page is for admins only.")
        st.stop()


def show_text(text: str) -> None:
    """Model (or user) text, literally: no markdown, no HTML."""
    st.code(text, language=None, wrap_lines=True)


def highlighted(text: str, spans: list[tuple[int, int, str]]) -> str:
    """HTML for `text` with each (start, end, label) span marked; everything from `text` is escaped."""
    parts, position = [], 0
    for start, end, label in sorted((s, e, lab) for s, e, lab in spans if 0 <= s < e <= len(text)):
        start = max(start, position)  # overlapping spans: mark only what is not marked yet
        if start >= end:
            continue
        parts.append(html.escape(text[position:start]))
        parts.append(f'<mark title="{html.escape(str(label))}">{html.escape(text[start:end])}</mark>')
        position = end
    parts.append(html.escape(text[position:]))
    return ('<pre style="white-space: pre-wrap; font-family: monospace; margin: 0 0 0.5rem 0" class="record-text">'
            + "".join(parts) + "</pre>")
