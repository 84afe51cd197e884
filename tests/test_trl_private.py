"""The guard on TRL's private parts (`workbench.trl_private`): it passes on the installed TRL, and a TRL that lacks
or changed one stops the run before the stage that needs it, naming each part in one line."""

from __future__ import annotations

import sys
import types

import pytest

from workbench import trl_private
from workbench.cli import main
from workbench.errors import WorkbenchError


@pytest.fixture
def fresh(monkeypatch):
    """Forget what earlier tests found, so each test really looks."""
    monkeypatch.setattr(trl_private, "_checked", set())


def test_the_installed_trl_has_every_private_part(fresh):
    trl_private.check()
    assert trl_private._checked == set(trl_private.PRIVATE)
    assert {kind for part in trl_private.PRIVATE for kind in part.stages} == {"distill", "rlhf", "sft"}
    assert trl_private.uses_private("distill") and not trl_private.uses_private("dpo")


def test_no_other_module_touches_a_private_part_of_trl():
    """Every override of, or call to, a private part of TRL lives in workbench/trl_private.py, where `check` guards
    it: any other module of the package naming one (`_compute_loss`, `_ForwardRedirection`, ...) fails here."""
    import re
    from pathlib import Path

    import workbench

    names = {part.name for part in trl_private.PRIVATE}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    package = Path(workbench.__file__).parent
    offenders = [f"{path.relative_to(package)}:{n}: {line.strip()}"
                 for path in sorted(package.rglob("*.py")) if path.name != "trl_private.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def _fake_distillation_module(drop: str | None = None, resign: str | None = None) -> types.ModuleType:
    """A stand-in for trl.trainer.distillation_trainer with every part the workbench uses, less `drop`, and with
    `resign` taking other parameters."""
    class DistillationTrainer:
        def __init__(self):
            self._tokenizer = None
            self._dist = None

        def _generate_and_score_completions(self, inputs): ...
        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, has_tool_images=False): ...
        def _compute_loss(self, unwrapped_student, inputs, num_items_in_batch): ...
        def _get_last_hidden_state(self, unwrapped_model, input_ids, attention_mask, logits_to_keep): ...
        def _tokenize_prompts(self, prompts): ...

    if drop:
        delattr(DistillationTrainer, drop)
    if resign:
        setattr(DistillationTrainer, resign, lambda self, batch: None)
    module = types.ModuleType("trl.trainer.distillation_trainer")
    module.DistillationTrainer = DistillationTrainer
    return module


def test_a_complete_fake_passes_so_the_fakes_below_fail_for_their_one_change(fresh, monkeypatch):
    monkeypatch.setitem(sys.modules, "trl.trainer.distillation_trainer", _fake_distillation_module())
    trl_private.check(["distill"])


def test_a_missing_method_is_named_with_its_user(fresh, monkeypatch):
    monkeypatch.setitem(sys.modules, "trl.trainer.distillation_trainer", _fake_distillation_module(drop="_compute_loss"))
    with pytest.raises(WorkbenchError) as err:
        trl_private.check(["distill"])
    message = str(err.value)
    assert "written for trl>=1.16,<1.17" in message and "pip install 'trl>=1.16,<1.17'" in message
    bad = [line for line in err.value.lines if line.startswith("  ")]
    assert bad == ["  trl.trainer.distillation_trainer.DistillationTrainer._compute_loss: missing  "
                   "(used by trl_private.gkd_distillation_trainer: the top-k generalized JSD)"]


class _TrainerThatDroppedDist:
    def __init__(self):
        self._tokenizer = None

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields): ...


def test_changed_parameters_and_a_lost_instance_attribute_are_named(fresh, monkeypatch):
    monkeypatch.setitem(sys.modules, "trl.trainer.distillation_trainer",
                        _fake_distillation_module(resign="_get_last_hidden_state"))
    rloo = types.ModuleType("trl.trainer.rloo_trainer")
    rloo.RLOOTrainer = _TrainerThatDroppedDist
    monkeypatch.setitem(sys.modules, "trl.trainer.rloo_trainer", rloo)
    with pytest.raises(WorkbenchError) as err:
        trl_private.check(["distill", "rlhf"])
    bad = [line.split("  (used by")[0].strip() for line in err.value.lines if line.startswith("  ")]
    assert bad == ["trl.trainer.distillation_trainer.DistillationTrainer._get_last_hidden_state: parameters are "
                   "(batch), expected (unwrapped_model, input_ids, attention_mask, logits_to_keep, ...)",
                   "trl.trainer.rloo_trainer.RLOOTrainer._dist: RLOOTrainer.__init__ no longer sets self._dist"]


def test_workbench_run_stops_before_the_stage_that_needs_a_missing_part(fresh, monkeypatch, tmp_path, capsys):
    """Through the CLI: one message, exit 2, and the sft stage never starts (no manifest entry, no folder)."""
    monkeypatch.setitem(sys.modules, "trl.models.utils", types.ModuleType("trl.models.utils"))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: guard\nmodels:\n  student: {preset: gemma2-tiny-student, tokenizer: tok}\nstages:\n"
                      "  - {kind: taskworld, name: world, n: 20, corpus_docs: 40}\n"
                      "  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512}\n"
                      "  - {kind: sft, name: sft, model: student, data: world, train: {max_steps: 1}}\n")
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "trl.models.utils._ForwardRedirection: missing  (used by trl_private.lean_sft_trainer" in err
    assert "Traceback" not in err
    assert not (tmp_path / "run" / "sft").exists()
