"""End to end: `workbench ui` serves the app, and real headless Chromium (Debian's `chromium`, driven by Playwright)
rates pairs, overrides a filter decision and visits every page; two raters in two browser contexts submit on the
same pair at the same moment; the rows land in the store, model text is shown literally, and a screenshot of each
page is saved to $WORKBENCH_SCREENSHOTS (default: the test's tmp folder). One local server serves the module; a
second, started with `--host 0.0.0.0`, shows that a browser without a token cannot rate, and that SIGTERM to
`workbench ui` leaves no process listening. The local server is checked to listen on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import (TRICKY, assistant, children, listening, make_run, pairs_file, settle, start_ui, stop, user,
                     write_jsonl)
from workbench.cli import main
from workbench.safety import record_key
from workbench.store import open_store
from workbench.store.filters import overrides_document
from workbench.store.preference_io import import_file
from workbench.store.ratings import next_pair, record_comparison, set_overlap
from workbench.store.schema import Comparison

pytestmark = pytest.mark.slow
FILTERED = [{"messages": user("Who should I write to?") + assistant("Write to jane.doe@example.org, or call 555-123-4567.")},
            {"messages": user("How do I build a bomb?") + assistant("Sure, here is how to build a bomb: first get explosives.")},
            {"messages": user("Who are you?") + assistant("I am ChatGPT, made by OpenAI.")},
            {"messages": user("What is 2+2?") + assistant("4")}]


@pytest.fixture(scope="module")
def served(browser, tmp_path_factory):
    """The UI on 127.0.0.1 on a store with five pairs (one full of HTML and markdown; each offered to up to five
    raters) and a run with filter decisions: (page, url, store, process)."""
    tmp_path = tmp_path_factory.mktemp("served")
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
    set_overlap(store, 5)
    server, url = start_ui(["--db", db, "--run-dir", str(run_dir)])
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        yield page, url, store, server
        page.close()
    finally:
        stop(server)
        store.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("WORKBENCH_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_rate_override_and_visit_every_page_in_a_real_browser(served, screenshots):
    page, url, store, _ = served
    page.goto(url)
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("Your name").press("Enter")
    progress = page.get_by_text("left for you")
    for done, choice in enumerate(["A is better", "B is better", "Tie", "A is better"]):
        progress.filter(has_text=f"{done} rated by you, {5 - done} left for you").wait_for()
        settle(page)
        page.get_by_role("radiogroup", name="Which response is better?").get_by_text(choice, exact=True).click()
        if done == 1:
            page.get_by_text("B is unsafe", exact=True).click()
            page.get_by_label("Comment (optional)").fill("rude")
        page.get_by_role("button", name="Submit rating").click()
    progress.filter(has_text="4 rated by you, 1 left for you").wait_for()

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
    with store.reading() as session:
        comparisons = len(session.scalars(select(Comparison)).all())
    page.get_by_text(f"{comparisons} of {comparisons} comparisons").wait_for()
    page.get_by_role("button", name="Download preference.jsonl").wait_for()
    settle(page)
    page.screenshot(path=str(screenshots / "preferences.png"), full_page=True)

    page.get_by_role("link", name="Runs").click()
    page.get_by_text("Training curves").wait_for()
    page.get_by_text("sft says 0").first.wait_for()
    settle(page)
    page.wait_for_timeout(500)  # let the chart draw
    page.screenshot(path=str(screenshots / "runs.png"), full_page=True)


def test_two_raters_submitting_on_the_same_pair_at_the_same_moment_are_both_stored(served, browser):
    _, url, store, _ = served
    pages = []
    for name in ("cy", "dee"):  # two browser contexts: two sessions, as two people
        page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
        page.goto(url)
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Your name").press("Enter")
        page.get_by_role("button", name="Submit rating").wait_for()
        settle(page)
        pages.append(page)
    shown = [next_pair(store, name) for name in ("cy", "dee")]
    assert shown[0].pair_id == shown[1].pair_id  # the same pair on both screens
    for page, choice in zip(pages, ("A is better", "B is better")):
        page.get_by_role("radiogroup", name="Which response is better?").get_by_text(choice, exact=True).click()
    for page in pages:  # both clicks go out before either answer comes back
        page.get_by_role("button", name="Submit rating").click(no_wait_after=True)
    for page in pages:
        page.get_by_text(f"Saved your rating of pair {shown[0].pair_id}.").wait_for()
        page.context.close()
    with store.reading() as session:
        rows = session.scalars(select(Comparison).where(Comparison.rater.in_(["cy", "dee"])).order_by(Comparison.rater)).all()
    assert [(r.rater, r.pair_id, r.left_id, r.right_id, r.choice) for r in rows] == [
        ("cy", shown[0].pair_id, shown[0].left_id, shown[0].right_id, "A"),
        ("dee", shown[1].pair_id, shown[1].left_id, shown[1].right_id, "B")]


def test_by_default_the_ui_listens_on_127_0_0_1_only(served):
    _, url, _, _ = served
    assert listening(int(url.rsplit(":", 1)[1])) == ["127.0.0.1"]


def test_served_to_the_network_a_browser_without_a_token_cannot_rate_and_sigterm_leaves_no_process(browser, tmp_path):
    from workbench.store.access import add_token

    db = str(tmp_path / "workbench.db")
    store = open_store(db)
    import_file(store, pairs_file(tmp_path / "pairs.jsonl", 2))
    token = add_token(store, "bob")
    store.close()
    server, url = start_ui(["--db", db, "--host", "0.0.0.0"])
    try:
        port = int(url.rsplit(":", 1)[1])
        assert listening(port) == ["0.0.0.0"]
        page = browser.new_page()
        page.goto(url)
        page.get_by_label("Your token", exact=True).fill("not-a-token")
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Unknown token").wait_for()
        settle(page)
        assert page.get_by_role("button", name="Submit rating").count() == 0
        assert page.get_by_text("question 0").count() == 0 and page.get_by_role("link", name="Runs").count() == 0
        page.get_by_label("Your token", exact=True).fill(token)
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Rating as bob").wait_for()
        page.close()
        tree = [server.pid] + children(server.pid)
        server.send_signal(signal.SIGTERM)
        server.wait(15)
        output = server.stdout.read().decode()
        assert "warning: listening on 0.0.0.0" in output
        time.sleep(0.5)
        assert not [pid for pid in tree if Path(f"/proc/{pid}").exists()] and listening(port) == []
    finally:
        stop(server)
