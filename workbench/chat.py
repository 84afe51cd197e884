"""`workbench chat`: talk to any model of a run in the terminal.

`workbench chat STAGE --run-dir RUN` loads `RUN/STAGE/model` (or `workbench chat FOLDER`, any model folder with its
tokenizer) and answers what you type, keeping the conversation, through the same chat template and decoding as
evaluation (`workbench.generation.answer_prompts`: the answer stops at the turn end, control tokens never shown).
Greedy by default, so the same question gets the same answer; `--temperature T` samples. Commands: `/reset` starts a
new conversation, `/quit` (or Ctrl-D) leaves. Reads standard input, so it also answers a piped list of questions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.paths import bounded_int, check_name

PROMPT = "you> "


def model_folder(name: str, run_dir: str | None) -> Path:
    """The model folder `name` means: a stage of `run_dir` (its `model/`), else a folder path."""
    if run_dir is not None:
        try:
            check_name(name)
        except ValueError as e:
            raise WorkbenchError(f"{name!r}: {e}; give a stage name of the run") from None
        run = Path(run_dir)
        if not run.is_dir():
            raise WorkbenchError(f"--run-dir {run_dir}: no such folder; give a run directory (workbench status RUN)")
        folder = run / name / "model"
        if not (folder / "config.json").is_file():
            stages = sorted(p.parent.parent.name for p in run.glob("*/model/config.json"))
            raise WorkbenchError(f"{name}: no model of that stage in {run_dir}; stages with a model: "
                                 f"{', '.join(stages) or 'none'}")
        return folder
    folder = Path(name)
    if folder.is_dir() and (folder / "model" / "config.json").is_file():
        folder = folder / "model"  # a stage folder
    if not (folder / "config.json").is_file():
        raise WorkbenchError(f"{name}: not a model folder (no config.json); give a stage name with --run-dir RUN, "
                             "or a model folder")
    return folder


def chat(folder: Path, max_new_tokens: int, temperature: float, lines=None, out=None) -> int:
    """The conversation loop over `lines` (default: standard input); returns the number of answers given."""
    from workbench.generation import GenerationSettings, answer_prompts
    from workbench.models import load_model
    from workbench.store.live import is_generative

    if not is_generative(folder):
        raise WorkbenchError(f"{folder}: not a generative model (a reward model or classifier cannot answer)")
    lines = sys.stdin if lines is None else lines
    out = sys.stdout if out is None else out
    interactive = lines is sys.stdin and sys.stdin.isatty()
    model, tokenizer = load_model(folder)
    settings = GenerationSettings(do_sample=temperature > 0, temperature=temperature or 1.0,
                                  max_new_tokens=max_new_tokens, batch_size=1)
    how = f"temperature {temperature}" if temperature else "greedy"
    out.write(f"[workbench] chatting with {folder} ({how}); /reset starts over, /quit or Ctrl-D leaves\n")
    messages: list[dict] = []
    answers = 0
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = lines.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text == "/quit":
            break
        if text == "/reset":
            messages = []
            out.write("[workbench] new conversation\n")
            continue
        messages.append({"role": "user", "content": text})
        reply = answer_prompts(model, tokenizer, [messages], settings, seed=answers)[0]
        messages.append({"role": "assistant", "content": reply.text})
        note = "" if reply.clean else "  [no turn end within the token budget]"
        out.write(f"model> {reply.text}{note}\n")
        out.flush()
        answers += 1
    return answers


def _temperature(text: str) -> float:
    """argparse type for --temperature: a finite number from 0 (greedy) to 100."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 100:  # NaN fails too
        raise argparse.ArgumentTypeError(f"invalid temperature {text[:40]!r}: give 0 (greedy) to 100")
    return value


def _cmd_chat(args) -> int:
    chat(model_folder(args.model, args.run_dir), args.max_new_tokens, args.temperature)
    return 0


def add_commands(sub) -> None:
    c = sub.add_parser("chat", help="talk to a model of a run in the terminal")
    c.add_argument("model", help="a stage name (with --run-dir) or a model folder")
    c.add_argument("--run-dir", help="the run directory whose stage `model` names")
    c.add_argument("--max-new-tokens", type=bounded_int(1, 65_536), default=128, help="tokens per answer at most (default 128)")
    c.add_argument("--temperature", type=_temperature, default=0.0, help="0: greedy (default); above 0: sample")
    c.set_defaults(fn=_cmd_chat)
