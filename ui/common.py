"""What every page of the UI shares: the store and run directory it was started with, and showing model text.

`workbench ui` passes the store's URL in `WORKBENCH_DB` and the run directory in `WORKBENCH_RUN_DIR`.
Model text is always shown as text: `show_text` puts it in a plain code block and `highlighted` escapes every
character before adding its own `<mark>` tags, so no HTML or markdown from a model is ever rendered.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import streamlit as st

from workbench.store import Store, open_store


@st.cache_resource
def _open(url: str) -> Store:
    return open_store(url)


def store() -> Store:
    return _open(os.environ.get("WORKBENCH_DB") or "runs/workbench.db")


def run_dir() -> Path | None:
    value = os.environ.get("WORKBENCH_RUN_DIR")
    return Path(value) if value else None


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
