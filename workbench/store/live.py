"""Answering a rater's own prompt on the spot: two models of a run answer it, and the pair joins the store.

Models are the `model/` folders that a run's stages wrote holding a generative model (a causal LM by its
config.json: a reward model, a classifier, cannot answer). Decoding is `workbench.generation.generate_responses`,
greedy (deterministic), stopping at `<eos>` or `<end_of_turn>`, which are not part of the answer, with a token budget
the rater chooses (default 64); the settings are stored with each response. Two equal answers are no pair.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.store.db import Store
from workbench.store.ratings import add_pair, add_prompt, add_response

MAX_NEW_TOKENS = 64


def model_folders(run_dir: str | Path | None) -> dict[str, Path]:
    """{stage name: its model folder} for every stage of the run that saved a model."""
    if run_dir is None or not Path(run_dir).is_dir():
        return {}
    return {folder.parent.name: folder for folder in sorted(Path(run_dir).glob("*/model")) if is_generative(folder)}


def is_generative(folder: Path) -> bool:
    """Whether the model folder holds a causal LM (by its config.json), which can answer a prompt."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return any(str(name).endswith("ForCausalLM") for name in config.get("architectures") or [])


def answer(model, tokenizer, prompt: str, max_new_tokens: int = MAX_NEW_TOKENS) -> str:
    """The model's greedy answer to a one-turn user prompt, through the tokenizer's chat template: the text before
    its stop token, without control tokens (`workbench.generation.generate_responses`)."""
    from workbench.generation import GenerationSettings, generate_responses

    if not prompt.strip():
        raise WorkbenchError("type a prompt first")
    settings = GenerationSettings(do_sample=False, max_new_tokens=max_new_tokens, batch_size=1)
    return generate_responses(model, tokenizer, [[{"role": "user", "content": prompt}]], settings)[0].strip()


def ask(store: Store, prompt: str, answers: dict[str, str], settings: dict, run_dir: str | Path | None = None) -> int:
    """Store a typed prompt and two stages' answers (`{stage: text}`, generated with `settings`) as a pair to rate;
    returns the pair id."""
    prompt = prompt.strip()
    if len(answers) != 2:
        raise WorkbenchError("choose two different models to answer the prompt")
    if len(set(answers.values())) == 1:
        raise WorkbenchError("both models gave the same answer; nothing to compare")
    source = f"typed prompt ({run_dir})" if run_dir else "typed prompt"
    with store.writing() as session:
        stored = add_prompt(session, [{"role": "user", "content": prompt}], source)
        first, second = (add_response(session, stored, [{"role": "assistant", "content": text}], model=stage,
                                      stage=stage, settings=settings) for stage, text in answers.items())
        return add_pair(session, stored, first, second, source)[0].id
