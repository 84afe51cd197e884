"""Answering a rater's own prompt on the spot: two models of a run answer it, and the pair joins the store.

Models are the `model/` folders that a run's stages wrote. Decoding is greedy (deterministic) with a token budget
the rater chooses (default 64); the settings are stored with each response.
"""

from __future__ import annotations

from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.store.db import Store
from workbench.store.ratings import add_pair, add_prompt, add_response

MAX_NEW_TOKENS = 64


def model_folders(run_dir: str | Path | None) -> dict[str, Path]:
    """{stage name: its model folder} for every stage of the run that saved a model."""
    if run_dir is None or not Path(run_dir).is_dir():
        return {}
    return {folder.parent.name: folder for folder in sorted(Path(run_dir).glob("*/model"))
            if (folder / "config.json").is_file()}


def answer(model, tokenizer, prompt: str, max_new_tokens: int = MAX_NEW_TOKENS) -> str:
    """The model's greedy answer to a one-turn user prompt, through the tokenizer's chat template: the text before
    its stop token, without control tokens (`workbench.generation.generate_responses`)."""
    from workbench.generation import GenerationSettings, generate_responses

    if not prompt.strip():
        raise WorkbenchError("type a prompt first")
    settings = GenerationSettings(do_sample=False, max_new_tokens=max_new_tokens, batch_size=1)
    return generate_responses(model, tokenizer, [[{"role": "user", "content": prompt}]], settings)[0]


def ask(store: Store, prompt: str, answers: dict[str, str], settings: dict, run_dir: str | Path | None = None) -> int:
    """Store a typed prompt and two stages' answers (`{stage: text}`, generated with `settings`) as a pair to rate;
    returns the pair id."""
    prompt = prompt.strip()
    if len(answers) != 2:
        raise WorkbenchError("choose two different models to answer the prompt")
    source = f"typed prompt ({run_dir})" if run_dir else "typed prompt"
    with store.writing() as session:
        stored = add_prompt(session, [{"role": "user", "content": prompt}], source)
        first, second = (add_response(session, stored, [{"role": "assistant", "content": text}], model=stage,
                                      stage=stage, settings=settings) for stage, text in answers.items())
        if first.id == second.id:
            raise WorkbenchError("both models gave the same answer; nothing to compare")
        return add_pair(session, stored, first, second, source)[0].id
