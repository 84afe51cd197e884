"""CI: workbench installs and works without a checkout.

Builds a wheel from the working tree, checks that it holds every file the package needs (each non-.py file under
`workbench/` and `ui/`), installs it with its dependencies into a fresh, plain virtual environment outside the
checkout, and from a folder outside the checkout runs, with the installed `workbench` console script:
`workbench recipe check` on a shipped recipe, a two-stage run (taskworld + tokenizer, tiny), and `workbench ui`
until it answers `/_stcore/health` (and, where Playwright and Chromium are installed, renders its pages without an
error, which checks that the pages' `import common` works from site-packages). Prints the time of each step.

Usage: python .ci/install_check.py [--keep]   (or `make install-check`; .ci/run runs it after the tests)
TORCH_SPEC=... picks the torch to install (default torch==2.13.0, the CPU build). A plain venv, not
--system-site-packages: the test environment's editable install of this checkout would be visible there, and the
point is that the wheel's own dependency list installs a working tool.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TORCH_SPEC = os.environ.get("TORCH_SPEC", "torch==2.13.0")
TINY_RECIPE = """\
name: install-check
stages:
  - {kind: taskworld, name: world, n: 200, corpus_docs: 300}
  - {kind: tokenizer, corpus: world, vocab_size: 512}
"""
timings: list[tuple[str, float]] = []


def step(name: str, command: list[str], **kwargs) -> subprocess.CompletedProcess:
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    timings.append((name, time.monotonic() - started))
    if done.returncode != 0:
        sys.exit(f"install check: {name} failed (exit {done.returncode}): {' '.join(command)}\n"
                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    print(f"[install check] {name}: ok ({timings[-1][1]:.1f} s)", flush=True)
    return done


def source_tree(dest: Path) -> None:
    """The working tree's tracked and untracked-but-not-ignored files (no build/ leftovers, no run folders)."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard", "-z"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)


def build_isolation() -> list[str]:
    """Build with this Python's setuptools where it can build wheels on its own (70.1 or later: ~25 s less than
    pip's isolated build environment), else let pip fetch pyproject.toml's build requirements."""
    try:
        version = tuple(int(part) for part in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return []
    return ["--no-build-isolation"] if version >= (70, 1) else []


def check_wheel(wheel: Path, src: Path) -> None:
    """Every file under workbench/ and ui/ (installed as workbench/ui/) is in the wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {str(p.relative_to(src)) for p in (src / "workbench").rglob("*") if p.is_file()}
    wanted |= {"workbench/ui/" + str(p.relative_to(src / "ui")) for p in (src / "ui").rglob("*") if p.is_file()}
    missing = sorted(w for w in wanted if w not in names and "__pycache__" not in w)
    if missing:
        sys.exit(f"install check: the wheel lacks {', '.join(missing)}; add them to [tool.setuptools.package-data] "
                 "in pyproject.toml")
    print(f"[install check] wheel holds all {len(wanted)} files of workbench/ and ui/", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_ui(workbench: str, work: Path, env: dict) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**env, "STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}
    # `workbench ui` opens an existing store only; a team lead creates one with any `ratings` command.
    subprocess.run([workbench, "ratings", "overlap", "2", "--db", str(work / "ui.db")], cwd=work, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    started = time.monotonic()
    server = subprocess.Popen([workbench, "ui", "--db", str(work / "ui.db"), "--run-dir", str(work / "run"),
                               "--port", str(port)], cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)  # its own group: streamlit is a child
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > 60:
                    _stop(server)
                    sys.exit(f"install check: `workbench ui` did not answer {url}/_stcore/health:\n"
                             f"{server.stdout.read().decode()[-3000:]}")
                time.sleep(0.2)
        timings.append(("workbench ui healthy", time.monotonic() - started))
        print(f"[install check] workbench ui answers /_stcore/health ({timings[-1][1]:.1f} s)", flush=True)
        render_pages(url)
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the UI's process group (streamlit is a child), if it still runs."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:  # it exited by itself (a failed start)
        pass
    server.wait(10)


def render_pages(url: str) -> None:
    """Each page runs without an exception (needs this Python's playwright and Debian's chromium; else skipped)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("[install check] pages not rendered: playwright is not installed here", flush=True)
        return
    if not Path(chromium).exists():
        print("[install check] pages not rendered: chromium is not installed", flush=True)
        return
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for path, heading in (("", "Rate responses"), ("safety", "Safety filters"), ("preferences", "Preference data"),
                              ("runs", "Stages")):
            page.goto(f"{url}/{path}")
            page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
            page.wait_for_function("document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'")
            errors = page.locator("[data-testid=stException]")
            if errors.count():
                sys.exit(f"install check: the UI page /{path} shows an error: {errors.first.inner_text()[:2000]}")
        browser.close()
    timings.append(("UI pages rendered", time.monotonic() - started))
    print(f"[install check] all 4 UI pages render without an error ({timings[-1][1]:.1f} s)", flush=True)


def main() -> None:
    keep = "--keep" in sys.argv[1:]
    work = Path(tempfile.mkdtemp(prefix="workbench-install-"))
    try:
        src, dist, venv = work / "src", work / "dist", work / "venv"
        source_tree(src)
        step("build the wheel", [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *build_isolation(), "-w",
                                 str(dist), str(src)])
        wheel = next(dist.glob("workbench-*.whl"))
        check_wheel(wheel, src)
        step("create a plain virtual environment", [sys.executable, "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile"]
        step(f"install {TORCH_SPEC} and the wheel with its dependencies", [*pip, TORCH_SPEC, str(wheel)])
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env |= {"WORKBENCH_CACHE": str(work / "cache"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        where = step("import from the venv", [str(venv / "bin" / "python"), "-c", "import workbench; print(workbench.__file__)"],
                     cwd=work, env=env).stdout.strip()
        if not where.startswith(str(venv)):
            sys.exit(f"install check: workbench was imported from {where}, not from the virtual environment")
        workbench = str(venv / "bin" / "workbench")
        step("workbench recipe check recipes/quickstart.yaml",
             [workbench, "recipe", "check", str(REPO / "recipes" / "quickstart.yaml")], cwd=work, env=env)
        (work / "tiny.yaml").write_text(TINY_RECIPE)
        step("workbench run (taskworld + tokenizer)", [workbench, "run", "tiny.yaml", "--run-dir", "run"], cwd=work, env=env)
        stages = json.loads((work / "run" / "manifest.json").read_text())["stages"]
        if [stages.get(s, {}).get("status") for s in ("world", "tokenizer")] != ["done", "done"]:
            sys.exit(f"install check: the two-stage run did not finish: {json.dumps(stages)[:2000]}")
        check_ui(workbench, work, env)
        total = sum(seconds for _, seconds in timings)
        print(f"[install check] passed in {total:.0f} s: " + ", ".join(f"{n} {s:.1f} s" for n, s in timings), flush=True)
    finally:
        if keep:
            print(f"[install check] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
