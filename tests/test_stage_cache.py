"""The stage cache shared across run directories (workbench/stage_cache.py), through `workbench run --cache`: a second
run directory takes a finished stage from it without running the stage, a changed config misses, a damaged or
hostile entry is refused with one line and the stage recomputed; `workbench status` and `workbench cache ls/prune`.
And `workbench run --seeds` (slow: it trains): the teacher trained once, one student per seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.stages import stage_modules

WORLD_AND_FILTER = """name: cached
seed: 0
stages:
  - {kind: taskworld, name: world, n: 20, corpus_docs: 50}
  - {kind: filter, name: filtered, data: world}
"""


def manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "log.txt"}


def calls(monkeypatch, *kinds: str) -> list[str]:
    """Count the stages of these kinds that actually run (their module's `run`)."""
    ran: list[str] = []
    for kind in kinds:
        module = stage_modules()[kind]
        original = module.run

        def run(cfg, ctx, original=original):
            ran.append(ctx.stage_name)
            return original(cfg, ctx)

        monkeypatch.setattr(module, "run", run)
    return ran


def test_a_second_run_directory_takes_finished_stages_from_the_cache(tmp_path, capsys, monkeypatch):
    recipe, cache = tmp_path / "cached.yaml", tmp_path / "stage-cache"
    recipe.write_text(WORLD_AND_FILTER)
    ran = calls(monkeypatch, "taskworld", "filter")
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "a"), "--cache", str(cache)]) == 0
    assert ran == ["world", "filtered"]
    capsys.readouterr()

    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "b"), "--cache", str(cache)]) == 0
    out = capsys.readouterr().out
    assert ran == ["world", "filtered"]  # neither ran again
    assert f"world (taskworld): from the stage cache (built by {(tmp_path / 'a').resolve()} at " in out
    b = manifest(tmp_path / "b")["stages"]
    for name in ("world", "filtered"):
        assert b[name]["status"] == "done" and b[name]["cached"]["from_run"] == str((tmp_path / "a").resolve())
        assert b[name]["fingerprint"] == manifest(tmp_path / "a")["stages"][name]["fingerprint"]
        assert tree(tmp_path / "b" / name) == tree(tmp_path / "a" / name)  # byte for byte
    assert b["filtered"]["outputs"] == manifest(tmp_path / "a")["stages"]["filtered"]["outputs"]

    assert main(["status", str(tmp_path / "b")]) == 0
    assert "cached (from a)" in capsys.readouterr().out
    assert main(["cache", "ls", "--cache", str(cache)]) == 0
    listing = capsys.readouterr().out
    assert "world" in listing and "filtered" in listing and "2 entries" in listing

    # A changed config is another fingerprint: a miss, the stage runs; what it reads still comes from the cache.
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "c"), "--cache", str(cache),
                 "stages.filtered.file=sft/train.jsonl"]) == 0
    assert ran == ["world", "filtered", "filtered"]
    assert manifest(tmp_path / "c")["stages"]["world"]["cached"]
    assert "cached" not in manifest(tmp_path / "c")["stages"]["filtered"]

    # --no-cache neither reads nor fills it.
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "d"), "--no-cache"]) == 0
    assert ran == ["world", "filtered", "filtered", "world", "filtered"]
    capsys.readouterr()
    assert main(["cache", "prune", "--all", "--cache", str(cache)]) == 0
    assert "removed 3 entries" in capsys.readouterr().out
    assert not list((cache / "v1").glob("??/*"))


def test_a_damaged_or_hostile_cache_entry_is_refused_with_one_line_and_the_stage_recomputed(tmp_path, capsys,
                                                                                             monkeypatch):
    recipe, cache = tmp_path / "cached.yaml", tmp_path / "stage-cache"
    recipe.write_text(WORLD_AND_FILTER.replace("  - {kind: filter, name: filtered, data: world}\n", ""))
    ran = calls(monkeypatch, "taskworld")
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "a"), "--cache", str(cache)]) == 0
    fp = manifest(tmp_path / "a")["stages"]["world"]["fingerprint"]
    entry = cache / "v1" / fp[:2] / fp
    original = tree(entry / "files")
    victim = sorted(p for p in (entry / "files").rglob("*.jsonl"))[0]
    victim.unlink()  # replaced (not edited in place, which would reach run a's hard-linked copy too)
    victim.write_text('{"prompt": "tampered"}\n')
    capsys.readouterr()

    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "b"), "--cache", str(cache)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "refused" in ln]
    assert lines == [f"[workbench] world: stage cache entry {entry} refused: its file "
                     f"{victim.relative_to(entry / 'files').as_posix()} changed since it was stored; running the stage "
                     "(its result replaces the entry)"]
    assert ran == ["world", "world"]
    assert tree(tmp_path / "b" / "world") == tree(tmp_path / "a" / "world")
    assert tree(entry / "files") == original  # the good result took the damaged entry's place

    # A hostile entry.json naming a path outside the entry: refused, nothing read or written outside.
    record = json.loads((entry / "entry.json").read_text())
    record["files"]["../../../outside.txt"] = {"size": 1, "sha256": "0" * 64}
    (entry / "entry.json").write_text(json.dumps(record))
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "c"), "--cache", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "refused: it names a file outside the entry ('../../../outside.txt')" in out
    assert ran == ["world", "world", "world"] and not (tmp_path / "outside.txt").exists()

    # A stage the recipe leaves out of the cache (`cache.skip`) is neither taken from it nor stored.
    assert main(["run", str(recipe), "--run-dir", str(tmp_path / "d"), "--cache", str(cache), "cache.skip=[world]"]) == 0
    assert ran == ["world"] * 4 and "cached" not in manifest(tmp_path / "d")["stages"]["world"]


SEEDS_RECIPE = """name: seeds
seed: 0
models:
  student: {preset: gemma2-tiny-student, tokenizer: tok}
stages:
  - {kind: taskworld, name: world, n: 20, corpus_docs: 200, seed: 0}
  - {kind: tokenizer, name: tok, corpus: world, vocab_size: 512, seed: 0}
  - {kind: pretrain, name: teacher, seed: 0, model: student, data: world, seq_len: 32, eval_blocks: 2,
     train: {max_steps: 2, batch_size: 2, precision: fp32}}
  - {kind: pretrain, name: pupil, model: teacher, data: world, seq_len: 32, eval_blocks: 2,
     train: {max_steps: 2, batch_size: 2, precision: fp32}}
"""


@pytest.mark.slow  # trains (2 steps per model)
def test_seeds_share_the_teacher_through_the_cache_and_train_one_student_each(tmp_path, capsys, monkeypatch):
    recipe, out = tmp_path / "seeds.yaml", tmp_path / "sweep"
    recipe.write_text(SEEDS_RECIPE)
    ran = calls(monkeypatch, "taskworld", "tokenizer", "pretrain")
    assert main(["run", str(recipe), "--seeds", "0,1", "--run-dir", str(out), "--cache", str(tmp_path / "c")]) == 0
    printed = capsys.readouterr().out
    assert "shared (they pin their seed): world, tok, teacher; per seed: pupil" in printed
    assert ran == ["world", "tok", "teacher", "pupil", "pupil"]  # the teacher trained once
    one = manifest(out / "seed-1")["stages"]
    assert one["teacher"]["cached"]["from_run"] == str((out / "seed-0").resolve())
    assert "cached" not in one["pupil"]
    models = [(out / f"seed-{s}" / "pupil" / "model" / "model.safetensors").read_bytes() for s in (0, 1)]
    assert models[0] != models[1]  # two students, two seeds
    assert "the recipe has no evaluate stage: no seeds report" in printed


def test_storing_is_all_or_nothing_and_two_stores_of_one_entry_keep_one(tmp_path, monkeypatch):
    """A store that dies before its rename leaves no entry (only a .tmp folder, never read); two runs storing the
    same fingerprint leave one good entry."""
    import workbench.stage_cache as stage_cache
    from workbench.atomic import HashCache

    runs = []
    for name in ("a", "b"):
        run = tmp_path / name
        (run / "world" / "data").mkdir(parents=True)
        (run / "world" / "data" / "x.txt").write_text("same bytes\n")
        runs.append(run)
    record = {"kind": "taskworld", "status": "done", "files": HashCache(runs[0], runs[0] / ".h").files(runs[0] / "world")}
    cache, fp = stage_cache.StageCache(tmp_path / "cache"), "ab" * 32

    def die(*args, **kwargs):
        raise KeyboardInterrupt  # killed while writing entry.json

    monkeypatch.setattr(stage_cache, "write_json", die)
    with pytest.raises(KeyboardInterrupt):
        cache.store(fp, runs[0], "world", record)
    monkeypatch.undo()
    assert cache.read_entry(fp) is None and not cache.has(fp)

    assert cache.store(fp, runs[0], "world", record) is None
    assert cache.store(fp, runs[1], "world", record) is None  # already there: kept as it is
    assert [e["built"]["run_dir"] for e in cache.entries()] == [str(runs[0].resolve())]
    restored = cache.restore(fp, tmp_path / "c" / "world", HashCache(tmp_path / "c", tmp_path / "c" / ".h"))
    assert restored and (tmp_path / "c" / "world" / "data" / "x.txt").read_text() == "same bytes\n"


def test_a_field_at_its_neutral_value_leaves_the_fingerprint_as_it_was_before_the_field(tmp_path):
    """`prompt_noise` came after stages were cached; at 0.0 (no noise) it is left out of the fingerprint, so a stage
    recorded before the field existed is still a match; any other value is in it."""
    from workbench.pipeline import Pipeline
    from workbench.recipe import load_recipe
    from workbench.stages import distill, rlhf, sft
    from workbench.stages.base import without_neutral

    configs = [sft.Config(model="m", data="d"), distill.Config(model="m", teacher="t", data="d"),
               rlhf.Config(model="m", reward_model="r", data="d")]
    for config in configs:
        dumped = config.model_dump(mode="json")
        older = {k: v for k, v in dumped.items() if k != "prompt_noise"}  # as recorded before the field existed
        assert "prompt_noise" in dumped and config.fingerprint_config() == older
        assert without_neutral(config, older) == older
        noised = config.model_copy(update={"prompt_noise": 0.3})
        assert noised.fingerprint_config() == {**older, "prompt_noise": 0.3}

    recipe = tmp_path / "r.yaml"
    recipe.write_text(WORLD_AND_FILTER)
    pipeline = Pipeline(load_recipe(recipe), tmp_path / "run")
    entry = {"files": {}, "config": {k: v for k, v in configs[0].model_dump(mode="json").items() if k != "prompt_noise"},
             "inputs": {}, "numerics": None}
    assert pipeline._what_changed(configs[0], entry, {}, None) == "its fingerprint changed"
    assert pipeline._what_changed(configs[0].model_copy(update={"prompt_noise": 0.3}), entry, {}, None) == \
        "its config changed"
    for damaged in (["not", "a", "dict"], "text", None):  # a hand-edited manifest: a reason, not a traceback
        assert pipeline._what_changed(configs[0], {**entry, "config": damaged}, {}, None) == "its config changed"
