"""Fixtures every test module shares, and the rule of the fast suite.

- Each test converts and assembles models into its own cache (`WORKBENCH_CACHE` under its tmp_path), never the
  user's `~/.cache/workbench`; a test that wants the user's cache (the real Gemma 3 one) deletes the variable.
- The `unsafe` rule uses the hashed-n-gram classifier (`WORKBENCH_UNSAFE_CLASSIFIER`), not the Gemma 3 one it uses
  by default where the Gemma 3 extra is installed (a model load per test); the Gemma tests set it themselves.
- `pytest -m "not slow"` (`make test-fast`) trains nothing: there, a test not marked `slow` that reaches
  `transformers.Trainer.train` (every training stage and TRL trainer does) fails at once, naming itself. Training
  in a subprocess is not seen.

Plain helper functions (data files, a hand-made run directory) are in `helpers.py`; test modules import from there,
never from one another.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from helpers import CHROMIUM

_running: list = [None]  # the test item whose setup, call or teardown runs now


@pytest.fixture(autouse=True)
def private_model_cache(tmp_path, monkeypatch):
    """Converted and assembled models go to this test's own cache; the unsafe rule's classifier is the fast one;
    transformers logs at its default level."""
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("WORKBENCH_UNSAFE_CLASSIFIER", "hashed-n-gram")
    # `main()` of a command outside `run` quiets transformers through this variable (workbench.console.quiet_libraries);
    # in one test process it would outlive the test, so each test starts at transformers' default level
    monkeypatch.setenv("TRANSFORMERS_VERBOSITY", "warning")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _running[0] = item
    yield
    _running[0] = None


def _fast_run(config) -> bool:
    markexpr = (config.option.markexpr or "").replace(" ", "")
    return "notslow" in markexpr


def pytest_collection_finish(session):
    if _fast_run(session.config) and session.items:
        _forbid_training()


def _forbid_training() -> None:
    from transformers import Trainer

    if getattr(Trainer.train, "_forbidden_in_fast_tests", False):
        return
    original = Trainer.train

    @functools.wraps(original)
    def train(self, *args, **kwargs):
        item = _running[0]
        if item is not None and item.get_closest_marker("slow") is None:
            pytest.fail(f"{item.nodeid} trains a model ({type(self).__name__}.train) in the fast suite "
                        "(-m 'not slow'): mark it @pytest.mark.slow, or make it not train", pytrace=False)
        return original(self, *args, **kwargs)

    train._forbidden_in_fast_tests = True
    Trainer.train = train


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()
