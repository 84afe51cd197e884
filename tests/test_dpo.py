"""Stage `dpo`: preference optimisation on task-world pairs against a frozen reference, and its held-out metrics."""

from __future__ import annotations

import json

import pytest
import torch

from workbench.data import read_records
from workbench.errors import WorkbenchError
from workbench.models import ModelSpec, load_model
from workbench.pipeline import run_recipe
from workbench.preference import completion_logps, pairwise_accuracy, prompt_and_answers
from workbench.recipe import load_recipe
from workbench.stages import dpo

pytestmark = pytest.mark.slow  # every test here trains a model (make test-fast trains nothing)

RECIPE = """
name: dpo
seed: 0
models:
  tiny: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 60, corpus_docs: 300}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}
  - {kind: dpo, model: tiny, data: world, beta: 0.1, max_length: 256,
     train: {max_steps: 4, batch_size: 4, lr: 0.001, precision: fp32, save_steps: 2, logging_steps: 1}}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The recipe's run, with the policy and reference the stage held at the end of training."""
    tmp = tmp_path_factory.mktemp("dpo")
    (tmp / "r.yaml").write_text(RECIPE)
    held = {}
    measure = dpo.implicit_reward_metrics

    def capture(policy, reference, *args):
        held.update(policy=policy, reference=reference)
        return measure(policy, reference, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dpo, "implicit_reward_metrics", capture)
        manifest = run_recipe(load_recipe(tmp / "r.yaml"), tmp / "run")
    return tmp / "run", manifest["stages"]["dpo"]["metrics"], held


def start_model(run_dir):
    return load_model(ModelSpec(preset="gemma2-tiny-student"), tokenizer=run_dir / "tok/tokenizer", seed=0)


def test_reference_stays_frozen_while_the_policy_moves(run):
    run_dir, _, held = run
    start, _ = start_model(run_dir)
    reference = held["reference"].state_dict()
    assert all(not p.requires_grad for p in held["reference"].parameters())
    for name, weight in start.state_dict().items():
        assert torch.equal(reference[name], weight), name
    trained, _ = load_model(run_dir / "dpo/model")
    moved = [name for name, weight in start.state_dict().items() if not torch.equal(trained.state_dict()[name], weight)]
    assert len(moved) > len(start.state_dict()) // 2


def test_held_out_metrics(run):
    run_dir, metrics, _ = run
    for name in ("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "train_loss", "steps_per_second"):
        assert name in metrics
    validation = read_records(run_dir / "world/data/preference/validation.jsonl")
    assert metrics["eval_pairs"] == len(validation)
    assert set(metrics["implicit_reward_accuracy_by_skill"]) == {row["meta"]["skill"] for row in validation}
    assert list((run_dir / "dpo/runs").glob("events.out.tfevents.*"))
    assert not (run_dir / "dpo/checkpoints/runs").exists()
    assert any("eval_rewards/accuracies" in e for e in json.loads((run_dir / "dpo/history.json").read_text()))

    # The implicit reward beta * (log pi - log pi_ref), recomputed from the saved policy and the start model.
    policy, tokenizer = load_model(run_dir / "dpo/model")
    start, _ = start_model(run_dir)
    prompts, chosen, rejected = zip(*(prompt_and_answers(row) for row in validation))
    reward = {}
    for which, answers in (("chosen", chosen), ("rejected", rejected)):
        policy_logps = completion_logps(policy, tokenizer, prompts, answers, batch_size=1)
        reference_logps = completion_logps(start, tokenizer, prompts, answers, batch_size=1)
        reward[which] = [0.1 * (p - r) for p, r in zip(policy_logps, reference_logps)]
    expected = pairwise_accuracy(reward["chosen"], reward["rejected"])
    assert metrics["implicit_reward_accuracy"] == pytest.approx(expected["accuracy"])
    assert metrics["implicit_reward_margin"] == pytest.approx(expected["mean_margin"], abs=1e-3)
    assert expected["mean_margin"] != 0


def test_completion_logps_of_a_known_model(run):
    """A model that always puts most probability on token 7: only the completion's tokens are counted."""
    run_dir = run[0]
    _, tokenizer = start_model(run_dir)

    class Peaked(torch.nn.Module):
        def forward(self, input_ids, attention_mask):
            logits = torch.zeros(*input_ids.shape, len(tokenizer))
            logits[..., 7] = 10.0
            return type("Out", (), {"logits": logits})

        def parameters(self):
            yield torch.zeros(1)

    prompt = [{"role": "user", "content": "hi"}]
    answer = [{"role": "assistant", "content": "abc"}]
    whole = tokenizer.apply_chat_template(prompt + answer, tokenize=True, return_dict=True)["input_ids"]
    start = tokenizer.apply_chat_template(prompt, tokenize=True, return_dict=True,
                                          add_generation_prompt=True)["input_ids"]
    answer_ids = whole[len(start):]
    log_p7 = torch.log_softmax(torch.tensor([10.0] + [0.0] * (len(tokenizer) - 1)), 0)
    expected = sum(log_p7[0 if t == 7 else 1].item() for t in answer_ids)
    [got] = completion_logps(Peaked(), tokenizer, [prompt], [answer])
    assert got == pytest.approx(expected, rel=1e-5)

    # Scored in batches shortest first (`by_length`), each answer's figure comes back at its own index: answers
    # from longest to shortest, so the batches hold them in the opposite order.
    answers = [[{"role": "assistant", "content": "abc " * n}] for n in (9, 5, 3, 1)]
    one_by_one = [completion_logps(Peaked(), tokenizer, [prompt], [a])[0] for a in answers]
    assert len(set(one_by_one)) == 4
    assert completion_logps(Peaked(), tokenizer, [prompt] * 4, answers, batch_size=2) == pytest.approx(one_by_one)


def test_prompt_only_data_is_refused(run, tmp_path):
    prompts = run[0] / "world/data/prompts/train.jsonl"
    (tmp_path / "r.yaml").write_text(RECIPE.replace("data: world", f"data: {prompts}"))
    with pytest.raises(WorkbenchError, match=r"train.jsonl: holds prompt_only rows \(conversational\) but preference "
                                             r"is needed"):
        run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")


def test_implicit_prompt_is_split_off_like_trl():
    turns = [{"role": "user", "content": "2 + 2?"}]
    row = {"chosen": turns + [{"role": "assistant", "content": "4"}],
           "rejected": turns + [{"role": "assistant", "content": "5"}]}
    assert prompt_and_answers(row) == (turns, row["chosen"][1:], row["rejected"][1:])
    text_row = {"chosen": "Q: 2 + 2? A: 4", "rejected": "Q: 2 + 2? A: 5"}
    assert prompt_and_answers(text_row) == ("Q: 2 + 2? A:", " 4", " 5")  # TRL splits before the shared space


def test_reference_with_another_vocabulary_is_refused(run, tmp_path):
    text = RECIPE.replace("  tiny: {preset: gemma2-tiny-student, tokenizer: tok}",
                          "  tiny: {preset: gemma2-tiny-student, tokenizer: tok}\n"
                          "  other: {preset: gemma2-tiny-student, tokenizer: tok2}")
    text = text.replace("vocab_size: 512}",
                        "vocab_size: 512}\n  - {kind: tokenizer, name: tok2, corpus: world, vocab_size: 600}")
    (tmp_path / "r.yaml").write_text(text.replace("model: tiny,", "model: tiny, ref_model: other,"))
    with pytest.raises(WorkbenchError, match="ref_model 'other' uses another vocabulary than model 'tiny'"):
        run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run")
