"""The human-feedback loop from a clean clone, as README tells it (issue 18, "Must show"): clone, `make quickstart`,
`workbench ui --run-dir runs/quickstart` as a real process, 20 ratings in Chromium on the Rate page (A, B, A, tie, ...:
every fourth a tie, which teaches the reward model nothing and the queue's tie model something), SIGTERM to the UI
(no process may be left), `workbench run recipes/quickstart.yaml` again; then what reran (the manifest's
`started_at`), the rating count in the reward stage's manifest inputs (the preferences: ties left out), what the
`to_rate` queue's tie model learnt from, the commands a user typed and the wall times.

    python -m bench.feedback_loop_from_clone [--source REPO] [--scratch DIR] [--ratings 20] [--keep]

The clone is of `--source` (default: this checkout's repository; its committed HEAD, not the working tree) into a
fresh scratch directory. What a user's machine already has is stood in for, and nothing else: a virtual environment
made with `--system-site-packages` (so `make quickstart`'s `pip install -e .` installs into it, not into this
machine's Python, and the dependencies are already there) whose `bin` leads PATH, as an activated one would; an empty
model cache (`WORKBENCH_CACHE`, so nothing trained earlier is reused); a free port instead of 8501 (`--port`, since
other UIs may run here). Chromium (/usr/bin/chromium) and Playwright must be installed. Every command runs in the
clone's root, as README says. Prints a transcript; exits 1 if a step does not do what README says.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]


def say(text: str = "") -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    """`pid` and every descendant (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def listening(port: int) -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if Path(table).exists():
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    return True
    return False


class Loop:
    def __init__(self, clone: Path, env: dict):
        self.clone, self.env = clone, env
        self.typed: list[str] = []  # what the user types in a shell, in order
        self.times: dict[str, float] = {}

    def command(self, line: str, typed: bool = True, timeout: float = 3600) -> str:
        """Run `line` in the clone's root as a user would, echoing its output; returns the output."""
        if typed:
            self.typed.append(line)
        say(f"\n$ {line}")
        started = time.perf_counter()
        done = subprocess.run(line, shell=True, cwd=self.clone, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        self.times[line] = time.perf_counter() - started
        for text in done.stdout.splitlines():
            say(f"  {text}")
        say(f"  [exit {done.returncode}, {self.times[line]:.0f} s]")
        if done.returncode != 0:
            raise SystemExit(f"FAILED: `{line}` exited {done.returncode}")
        return done.stdout

    def started(self) -> dict[str, str]:
        stages = json.loads((self.clone / "runs" / "quickstart" / "manifest.json").read_text())["stages"]
        return {name: entry.get("started_at") for name, entry in stages.items() if entry.get("status") == "done"}


def rate_in_chromium(url: str, count: int) -> tuple[list[int], float]:
    """Open the Rate page, type a name, rate `count` pairs by clicking (A and B in turn); returns the confirmed pair
    ids and the seconds it took."""
    from playwright.sync_api import sync_playwright

    def settle(page):
        page.wait_for_timeout(200)
        page.wait_for_function(
            "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'")

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.set_default_timeout(60_000)
            started = time.perf_counter()
            page.goto(url)
            page.get_by_label("Your name").fill("ada")
            page.get_by_label("Your name").press("Enter")
            progress = page.get_by_text("left for you")
            progress.filter(has_text=re.compile(r"^0 rated by you, ")).wait_for()
            say(f"  page: {progress.inner_text()}")
            for done in range(count):
                progress.filter(has_text=re.compile(rf"^{done} rated by you, ")).wait_for()
                settle(page)
                choice = "Tie" if done % 4 == 3 else "A is better" if done % 2 == 0 else "B is better"
                page.get_by_role("radiogroup", name="Which response is better?").get_by_text(choice, exact=True).click()
                page.get_by_role("button", name="Submit rating").click()
                progress.filter(has_text=re.compile(rf"^{done + 1} rated by you, ")).wait_for()
                confirmation = page.get_by_text("Saved your rating of pair").inner_text()
                saved.append(int(confirmation.rstrip(".").rsplit(" ", 1)[1]))
            seconds = time.perf_counter() - started
            say(f"  page: {progress.inner_text()}")
        finally:
            browser.close()
    return saved, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feedback_loop_from_clone",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO), help="the repository to clone (default: this checkout)")
    parser.add_argument("--scratch", default=None, help="an empty or new folder for the clone (default: a temp dir)")
    parser.add_argument("--ratings", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (else it is deleted)")
    parser.add_argument("--resume", action="store_true",
                        help="--scratch holds a clone on which `make quickstart` finished: start at `workbench ui`")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium is not at {CHROMIUM} (apt-get install chromium)")
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="workbench-loop-")).resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    if args.resume and not (scratch / "workbench" / "runs" / "quickstart" / "manifest.json").exists():
        parser.error(f"--resume: {scratch} holds no finished quickstart")
    if any(scratch.iterdir()) and not args.resume:
        parser.error(f"--scratch {scratch}: not empty")
    clone, venv = scratch / "workbench", scratch / "venv"
    commit = subprocess.run(["git", "-C", args.source, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    say(f"source {args.source} at {commit}; scratch {scratch}; load average {os.getloadavg()}")

    # What the user's machine has before they start: Python with the dependencies (a venv over this machine's
    # packages, activated), and no model cache.
    if not args.resume:
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WORKBENCH_CACHE", "WORKBENCH_DB")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv),
               WORKBENCH_CACHE=str(scratch / "cache"), OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"))
    loop = Loop(scratch, env)
    total = time.perf_counter()
    if args.resume:
        loop.typed += [f"git clone -q {shlex.quote(args.source)} workbench", "cd workbench", "make quickstart"]
        loop.clone = clone
        say("(resumed: the clone and `make quickstart` were done by an earlier run of this script)")
        out = ""
    else:
        loop.command(f"git clone -q {shlex.quote(args.source)} workbench")
        loop.clone = clone
        loop.typed.append("cd workbench")
        out = loop.command("make quickstart")
    located = subprocess.run(["workbench", "--help"], cwd=scratch, env=env, capture_output=True, text=True)
    # -I: neither the current folder nor PYTHONPATH on sys.path, as for the `workbench` console script
    where = subprocess.run([str(venv / "bin" / "python"), "-I", "-c", "import workbench; print(workbench.__file__)"],
                           cwd=scratch, env=env, capture_output=True, text=True).stdout.strip()
    if not where.startswith(str(clone)) or located.returncode != 0:
        raise SystemExit(f"FAILED: the installed workbench is {where!r}, not the clone's")
    say(f"  (the `workbench` command imports {where})")
    db = clone / "runs" / "workbench.db"
    if not args.resume:
        hints = [line for line in out.splitlines() if "workbench ui" in line]
        say(f"  what the quickstart's output says to do next: {hints if hints else 'NOTHING mentions workbench ui'}")
    first = loop.started()

    # The UI as a real process, from the clone's root, exactly as README says (plus --port).
    port = free_port()
    line = f"workbench ui --run-dir runs/quickstart --port {port}"
    loop.typed.append(line)
    say(f"\n$ {line}    (README: without --port, i.e. 8501)")
    started = time.perf_counter()
    ui = subprocess.Popen(shlex.split(line), cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            if ui.poll() is not None or time.perf_counter() - started > 120:
                ui.kill()
                raise SystemExit(f"FAILED: the UI did not start: {ui.stdout.read()[-2000:]}") from None
            time.sleep(0.2)
    loop.times["ui start (health check answers)"] = time.perf_counter() - started
    say(f"  UI up in {loop.times['ui start (health check answers)']:.1f} s")
    try:
        saved, seconds = rate_in_chromium(url, args.ratings)
        loop.times[f"{args.ratings} ratings in Chromium"] = seconds
        say(f"  rated {len(saved)} pairs in {seconds:.1f} s: pair ids {saved}")
    finally:
        pids = tree(ui.pid)
        say(f"\n(SIGTERM to the UI, as Ctrl-C or `kill {ui.pid}`; its process tree: {pids})")
        ui.send_signal(signal.SIGTERM)
        try:
            ui.wait(30)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.5)
        left = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
        for pid in left:  # only the processes this script started
            os.kill(pid, signal.SIGKILL)
    for text in (ui.stdout.read() or "").splitlines()[-5:]:
        say(f"  {text}")
    say(f"  exit {ui.returncode}; processes left: {left}; port {port} listening: {listening(port)}")
    if left or listening(port):
        raise SystemExit("FAILED: SIGTERM left the UI running")
    if len(set(saved)) != args.ratings:
        raise SystemExit(f"FAILED: {len(set(saved))} distinct pairs confirmed, not {args.ratings}")

    out = loop.command("workbench run recipes/quickstart.yaml")
    second = loop.started()
    reran = [name for name, when in second.items() if first.get(name) != when]
    skipped = [name for name in second if name not in reran]
    manifest = json.loads((clone / "runs" / "quickstart" / "manifest.json").read_text())
    inputs = manifest["stages"]["reward"].get("inputs", {})
    loop.times["total"] = time.perf_counter() - total

    say("\n== summary")
    say(f"commit {commit}; load average at the end {tuple(round(x, 2) for x in os.getloadavg())}")
    say(f"stages rerun (manifest started_at changed): {', '.join(reran)}")
    say(f"stages not rerun: {', '.join(skipped)}")
    say(f"reward stage's manifest inputs: store_ratings = {inputs.get('store_ratings')!r}")
    ties = args.ratings // 4
    queue = json.loads((clone / "runs" / "quickstart" / "to_rate" / "metrics.json").read_text())
    say(f"to_rate's tie model: {queue.get('tie_model_ratings')} ratings, {queue.get('tie_model_ties')} ties, mean "
        f"P(decisive) over the queue {queue.get('mean_decisive_probability')}")
    say(f"ratings in the store: {args.ratings} made here ({db.relative_to(scratch)})")
    say(f"commands typed ({len(loop.typed)}): " + " ; ".join(loop.typed)
        + f" (+ {args.ratings} ratings in the browser, and Ctrl-C to stop the UI)")
    for what, seconds in loop.times.items():
        say(f"  {seconds:7.1f} s  {what}")
    ok = "reward" in reran and inputs.get("store_ratings") == str(args.ratings - ties) \
        and queue.get("tie_model_ties") == ties and (ties == 0 or queue.get("mean_decisive_probability") is not None)
    if not args.keep:
        subprocess.run(["rm", "-rf", "--one-file-system", str(scratch)], check=False)
    else:
        say(f"kept {scratch}")
    if not ok:
        say("FAILED: the reward stage did not rerun on the ratings, the manifest lacks their count, or the queue's "
            "tie model did not read the ties")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
