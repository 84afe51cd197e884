"""The human-feedback loop end to end, as a user runs it (issue 18, "Must show"): `workbench run` on a recipe whose
`pairs` stage fills the store and whose reward stage waits for ratings (exit 3, one line); `workbench ui` as a real
process; ratings made in Chromium on the Rate page; SIGTERM stops the UI with no process left; the same `workbench
run` then trains the reward stage and what follows it, and reruns them on a further rating (the count in the
manifest); an override made in the browser on the Safety filters page reruns the filter stage and the stages that
read it, and nothing else. Which stages ran is read from the manifest (`started_at`), and checked against the
console."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest

from helpers import FEEDBACK_LOOP_RECIPE as RECIPE
from helpers import children, listening, settle, start_ui
from workbench.cli import main

pytestmark = pytest.mark.slow


def started(run: Path) -> dict[str, str]:
    """{stage: when it last started} for every stage the manifest calls done."""
    stages = json.loads((run / "manifest.json").read_text())["stages"]
    return {name: entry["started_at"] for name, entry in stages.items() if entry["status"] == "done"}


def ran(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name, when in after.items() if before.get(name) != when}


def stop_and_check_nothing_is_left(server) -> None:
    """SIGTERM to `workbench ui`, as `kill PID` does: the process and every child end, nothing listens."""
    port = server.port
    tree = [server.pid] + children(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(15)
    time.sleep(0.3)
    assert [pid for pid in tree if Path(f"/proc/{pid}").exists()] == [] and listening(port) == []


def serve(run: Path, db: Path):
    server, url = start_ui(["--run-dir", str(run), "--db", str(db)])
    server.port = int(url.rsplit(":", 1)[1])
    return server, url


def rate(page, choices: list[str], already: int) -> list[int]:
    """Rate the pairs the Rate page shows, one per choice, by clicking; returns the pair ids it confirmed."""
    progress = page.get_by_text("left for you")
    saved = []
    for done, choice in enumerate(choices, start=already):
        progress.filter(has_text=re.compile(rf"^{done} rated by you, ")).wait_for()
        settle(page)
        page.get_by_role("radiogroup", name="Which response is better?").get_by_text(choice, exact=True).click()
        page.get_by_role("button", name="Submit rating").click()
        progress.filter(has_text=re.compile(rf"^{done + 1} rated by you, ")).wait_for()
        saved.append(int(page.get_by_text("Saved your rating of pair").inner_text().rstrip(".").rsplit(" ", 1)[1]))
    return saved


def test_rate_and_override_in_the_browser_and_workbench_run_reruns_what_they_change(
        browser, tmp_path, capsys, monkeypatch):  # noqa: F811 (browser: the imported fixture)
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    recipe, run, db = tmp_path / "loop.yaml", tmp_path / "run", tmp_path / "store.db"
    recipe.write_text(RECIPE)
    command = ["run", str(recipe), "--run-dir", str(run)]

    # 1. The run fills the queue and waits for people: exit 3, one line naming the UI command.
    assert main(command) == 3
    assert capsys.readouterr().err.strip().splitlines() == [
        f"waiting: stage rm needs 2 ratings and the store has 0; rate 2 more with "
        f"`workbench ui --run-dir {run} --db {db}`, then run the same command again"]
    pairs = len((run / "to_rate" / "data" / "pairs.jsonl").read_text().splitlines())
    assert pairs >= 3

    # 2. That command, in a real process; two ratings in the browser; SIGTERM.
    server, url = serve(run, db)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(url)
        page.get_by_label("Your name").fill("ann")
        page.get_by_label("Your name").press("Enter")
        first = rate(page, ["A is better", "B is better"], 0)
        page.close()
    finally:
        stop_and_check_nothing_is_left(server)
    assert len(set(first)) == 2

    # 3. The same command continues: the reward stage and the stage after it run, nothing before them.
    before = started(run)
    assert main(command) == 0
    out = capsys.readouterr().out
    after = started(run)
    assert ran(before, after) == {"rm", "ranked"}
    assert "rm (reward): done in" in out and "ranked (pairs): done in" in out and "(6/6 stages done)" in out
    assert json.loads((run / "manifest.json").read_text())["stages"]["rm"]["inputs"]["store_ratings"] == "2"

    # 4. One more rating and an override (as the local admin) in a new UI session, then the same command: the
    #    rating reruns rm and ranked (count 3); the override reruns the filter and the pairs stage that reads it.
    server, url = serve(run, db)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(url)
        page.get_by_label("Your name").fill("ann")
        page.get_by_label("Your name").press("Enter")
        rate(page, ["A is better"], 2)
        before = started(run)
        assert main(command) == 0  # run from a second terminal while the UI is still open
        out = capsys.readouterr().out
        assert ran(before, started(run)) == {"rm", "ranked"} and "filtered: up to date" in out
        assert json.loads((run / "manifest.json").read_text())["stages"]["rm"]["inputs"]["store_ratings"] == "3"

        kept_before = json.loads((run / "filtered" / "metrics.json").read_text())["kept"]
        page.get_by_role("link", name="Safety filters").click()
        page.get_by_text("Override this decision").wait_for()
        settle(page)
        page.get_by_text("keep", exact=True).click()
        page.get_by_label("Reason", exact=True).fill("fine to keep")
        page.get_by_role("button", name="Save override").click()
        page.get_by_text("Overridden: keep by ann").wait_for()
        page.close()
    finally:
        stop_and_check_nothing_is_left(server)
    before = started(run)
    assert main(command) == 0
    out = capsys.readouterr().out
    assert ran(before, started(run)) == {"filtered", "to_rate"}
    assert "filtered (filter): done in" in out and "to_rate (pairs): done in" in out and "rm: up to date" in out
    [entry] = json.loads((run / "filtered" / "store_overrides.json").read_text())["overrides"]
    assert (entry["action"], entry["who"], entry["why"]) == ("keep", "ann", "fine to keep")
    metrics = json.loads((run / "filtered" / "metrics.json").read_text())
    assert metrics["overrides"] == {"keep": 1} and metrics["kept"] == kept_before + 1  # a dropped record, now kept
