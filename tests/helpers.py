"""Plain helpers shared by test modules (fixtures live in conftest.py): data files, a hand-made run directory, a
store rated by a scripted rater. Test modules import from here, never from one another."""

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

# The first two stages of most test recipes: a small task world and a 512-token tokenizer trained on it (a few
# seconds). Models in those recipes use `tokenizer: tok`; stages read `data: world`.
WORLD_AND_TOKENIZER = ("  - {kind: taskworld, name: world, n: 60, corpus_docs: 300}\n"
                       "  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}\n")


def tiny_pretrain_recipe(max_steps: int, logging_steps: int) -> str:
    """A three-stage recipe: a task world with a 1,500-document corpus, a 512-token tokenizer on it, and a short fp32
    pretraining of the tiny student (checkpoints every 5 steps)."""
    return f"""
name: tiny
seed: 0
models:
  student: {{preset: gemma2-tiny-student, tokenizer: tok}}
stages:
  - {{kind: taskworld, name: world, n: 60, corpus_docs: 1500}}
  - {{kind: tokenizer, name: tok, corpus: world, vocab_size: 512}}
  - kind: pretrain
    name: pt
    model: student
    data: world
    seq_len: 64
    eval_blocks: 8
    train: {{max_steps: {max_steps}, batch_size: 4, save_steps: 5, logging_steps: {logging_steps}, precision: fp32}}
"""


# A response full of HTML and markdown: the UI must show it as text (no script, no image, no link).
TRICKY = ('<script>window.pwned = 1</script> <img src=x onerror="window.pwned = 1"> '
          '![cat](http://evil.example/cat.png) [click](http://evil.example/) **bold**')


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def user(text):
    return [{"role": "user", "content": text}]


def assistant(text):
    return [{"role": "assistant", "content": text}]


def pairs_file(path: Path, n: int) -> Path:
    """`n` response pairs (models sft and dpo) in the store's import format."""
    return write_jsonl(path, [{"prompt": f"question {i}", "meta": {"id": i}, "responses": [
        {"model": "sft", "stage": "sft", "settings": {"temperature": 0}, "completion": f"sft answer {i}"},
        {"model": "dpo", "stage": "dpo", "completion": f"dpo answer {i}"}]} for i in range(n)])


def rate(store, rater: str, prefer: str) -> None:
    """`rater` works through their whole queue, always choosing the response of model `prefer` (or a tie/both_bad)."""
    from workbench.store.ratings import next_pair, record_comparison
    from workbench.store.schema import Response

    while (shown := next_pair(store, rater)) is not None:
        if prefer in ("tie", "both_bad"):
            choice = prefer
        else:
            with store.reading() as session:
                choice = "A" if session.get(Response, shown.left_id).model == prefer else "B"
        record_comparison(store, rater, shown.pair_id, shown.left_id, shown.right_id, choice)


def decision_rows() -> list[dict]:
    """Three safety-filter decisions (dropped, redacted, kept) as the filter stage writes them."""
    return [
        {"key": "a" * 16, "action": "dropped", "rule": "unsafe_request", "reason": "asks for harm",
         "spans": [[9, 13, "harm", "prompt"]], "record": {"prompt": "how do I harm people"}},
        {"key": "b" * 16, "action": "redacted", "rule": "email", "reason": "personal data",
         "spans": [[8, 21, "EMAIL", "text"]], "record": {"text": "mail me a@example.org"}},
        {"key": "c" * 16, "action": "kept", "rule": None, "reason": "", "spans": [], "record": {"text": "hello"}},
    ]


def make_run(run_dir: Path) -> Path:
    """A hand-made run directory: three stages, two with training curves and samples, one with filter decisions."""
    stages = {"filter": {"kind": "filter", "status": "done", "wall_time_s": 0.5, "metrics": {"dropped": 1}},
              "sft": {"kind": "sft", "status": "done", "wall_time_s": 12.0, "metrics": {"loss": 1.5}},
              "dpo": {"kind": "dpo", "status": "failed", "wall_time_s": 3.0, "error": "boom"}}
    (run_dir).mkdir(parents=True)
    (run_dir / "manifest.json").write_text(json.dumps({"stages": stages}))
    for name in stages:
        (run_dir / name).mkdir()
    for name, scale in (("sft", 1.0), ("dpo", 0.5)):
        (run_dir / name / "history.json").write_text(json.dumps(
            [{"step": s, "loss": scale * 3 / s, "learning_rate": 1e-3} for s in (1, 2, 3)] + [{"train_runtime": 1.0, "step": 3}]))
        write_jsonl(run_dir / name / "samples.jsonl", [{"id": i, "prompt": user(f"q{i}"), "response": f"{name} says {i}"}
                                                       for i in range(3 if name == "sft" else 2)])
    write_jsonl(run_dir / "filter" / "decisions.jsonl", decision_rows())
    return run_dir


# --- the feedback loop's tiny recipe (test_feedback_loop, test_loop_browser) ---

FEEDBACK_LOOP_RECIPE = """
name: loop
seed: 0
models:
  student: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
""" + WORLD_AND_TOKENIZER + """  - {kind: filter, name: filtered, data: world, store: store.db}
  - kind: pairs
    name: to_rate
    models: [student]
    samples: 2
    prompts: filtered
    limit: 4
    sampling: {max_new_tokens: 8, temperature: 1.0}
    store: store.db
  - {kind: reward, name: rm, model: student, data: world, store: store.db, min_ratings: 2, max_length: 64,
     train: {max_steps: 2, batch_size: 2}}
  - kind: pairs
    name: ranked
    models: [student]
    samples: 2
    prompts: world
    limit: 3
    sampling: {max_new_tokens: 8, temperature: 1.0, batch_size: 2}
    reward_models: [rm]
    store: store.db
"""


# --- a real `workbench ui` process and a browser (test_ui_browser, test_loop_browser) ---

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ui(args: list[str]) -> tuple[subprocess.Popen, str]:
    """`workbench ui ARGS --port P` in a subprocess, once its health check answers; returns (process, url)."""
    port = free_port()
    env = {**os.environ, "STREAMLIT_SERVER_HEADLESS": "true"}
    server = subprocess.Popen([sys.executable, "-m", "workbench.cli", "ui", *args, "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"the UI did not start: {server.stdout.read().decode()[-2000:]}") from None
            time.sleep(0.2)


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        server.wait(10)


def listening(port: int) -> list[str]:
    """The local addresses listening on `port` (from /proc/net/tcp and tcp6), e.g. ["127.0.0.1"]."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                found.append(socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6,
                                              b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))))
    return found


def settle(page) -> None:
    """Wait until the app has finished running its script."""
    page.wait_for_timeout(200)
    page.wait_for_function("document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'")


def children(pid: int) -> list[int]:
    """Every descendant process of `pid` (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found
