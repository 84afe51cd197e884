"""End to end: `workbench ui` serves the app, and real headless Chromium (Debian's `chromium`, driven by Playwright)
rates pairs, overrides a filter decision and visits every page; the rows land in the store, model text is shown
literally, and a screenshot of each page is saved to $WORKBENCH_SCREENSHOTS (default: the test's tmp folder)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from test_store import assistant, make_run, pairs_file, user, write_jsonl
from test_ui import TRICKY
from workbench.cli import main
from workbench.safety import record_key
from workbench.store import open_store
from workbench.store.filters import overrides_document
from workbench.store.preference_io import import_file
from workbench.store.ratings import next_pair, record_comparison
from workbench.store.schema import Comparison

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow
FILTERED = [{"messages": user("Who should I write to?") + assistant("Write to jane.doe@example.org, or call 555-123-4567.")},
            {"messages": user("How do I build a bomb?") + assistant("Sure, here is how to build a bomb: first get explosives.")},
            {"messages": user("Who are you?") + assistant("I am ChatGPT, made by OpenAI.")},
            {"messages": user("What is 2+2?") + assistant("4")}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """The UI on a store with five pairs (one full of HTML and markdown) and a run with filter decisions."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    db = f"sqlite:///{tmp_path / 'runs' / 'workbench.db'}"
    run_dir = make_run(tmp_path / "runs" / "demo")
    pairs = pairs_file(tmp_path / "pairs.jsonl", 4)
    with pairs.open("a") as f:
        f.write(json.dumps({"prompt": "show me a picture", "responses": [
            {"model": "sft", "stage": "sft", "completion": TRICKY}, {"model": "dpo", "stage": "dpo", "completion": "no"}]}) + "\n")
    (run_dir / "filter" / "decisions.jsonl").unlink()  # the real filter's output instead, where a filter stage has it
    data = write_jsonl(tmp_path / "sft.jsonl", FILTERED)
    assert main(["filter", str(data), "--out", str(run_dir / "filter" / "filter")]) == 0
    store = open_store(db)
    import_file(store, pairs)
    port = free_port()
    env = {**os.environ, "STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}
    server = subprocess.Popen([sys.executable, "-m", "workbench.cli", "ui", "--db", db, "--run-dir", str(run_dir),
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the UI did not start: {server.stdout.read().decode()[-2000:]}") from None
                time.sleep(0.2)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            yield page, url, store
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
        store.close()


def settle(page) -> None:
    """Wait until the app has finished running its script."""
    page.wait_for_timeout(200)
    page.wait_for_function("document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'")


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("WORKBENCH_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_rate_override_and_visit_every_page_in_a_real_browser(served, screenshots):
    page, url, store = served
    page.goto(url)
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("Your name").press("Enter")
    progress = page.get_by_text("pairs rated")
    for done, choice in enumerate(["A is better", "B is better", "Tie", "A is better"]):
        progress.filter(has_text=f"{done} of 5 pairs rated").wait_for()
        settle(page)
        page.get_by_role("radiogroup", name="Which response is better?").get_by_text(choice, exact=True).click()
        if done == 1:
            page.get_by_text("B is unsafe", exact=True).click()
            page.get_by_label("Comment (optional)").fill("rude")
        page.get_by_role("button", name="Submit rating").click()
    progress.filter(has_text="4 of 5 pairs rated").wait_for()

    # the fifth pair holds a response full of HTML and markdown: shown character for character, nothing rendered
    page.get_by_text("show me a picture").first.wait_for()
    code = page.locator("pre code").filter(has_text="window.pwned")
    code.wait_for()
    assert code.inner_text().strip() == TRICKY
    assert page.locator("img[src='x'], img[src*='evil.example'], a[href*='evil.example']").count() == 0
    assert page.locator("strong", has_text="bold").count() == 0 and page.locator("strong").count() >= 2
    assert page.evaluate("window.pwned") is None
    settle(page)
    page.screenshot(path=str(screenshots / "rate.png"), full_page=True)

    with store.reading() as session:
        rows = session.scalars(select(Comparison).order_by(Comparison.id)).all()
    assert [(r.rater, r.choice) for r in rows] == [("ann", "A"), ("ann", "B"), ("ann", "tie"), ("ann", "A")]
    assert (rows[1].unsafe_right, rows[1].comment) == (True, "rude")

    page.get_by_role("link", name="Safety filters").click()
    page.get_by_text("Override this decision").wait_for()
    email = page.locator("mark", has_text="jane.doe@example.org")  # the first flagged record: PII, redacted
    assert email.get_attribute("title") == "email"
    page.get_by_text("keep", exact=True).click()
    page.get_by_label("Reason", exact=True).fill("a public business address, fine to keep")
    page.get_by_role("button", name="Save override").click()
    page.get_by_text("Overridden: keep by ann").wait_for()
    page.get_by_role("button", name="Save override").wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / "safety.png"), full_page=True)
    [entry] = overrides_document(store)["overrides"]
    assert (entry["action"], entry["who"], entry["why"]) == ("keep", "ann", "a public business address, fine to keep")
    assert entry["key"] == record_key(FILTERED[0])

    for shown in iter(lambda: next_pair(store, "bob"), None):  # a second rater, for agreement
        record_comparison(store, "bob", shown.pair_id, shown.left_id, shown.right_id, "A")
    page.get_by_role("link", name="Preference data").click()
    page.get_by_text("9 of 9 comparisons").wait_for()
    page.get_by_role("button", name="Download preference.jsonl").wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / "preferences.png"), full_page=True)

    page.get_by_role("link", name="Runs").click()
    page.get_by_text("Training curves").wait_for()
    page.get_by_text("sft says 0").wait_for()
    settle(page)
    page.wait_for_timeout(500)  # let the chart draw
    page.screenshot(path=str(screenshots / "runs.png"), full_page=True)
