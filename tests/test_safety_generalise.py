"""The safety filters beyond their hand-written rules (issue 20): the hazard taxonomy in every unsafe decision, the
shipped labelled sets (training, and a held-out set written apart), the shipped classifier and its training
command, garbled refusals, near-duplicates that survive small edits, and the Safety page's category and score."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.safety.classifier import DEFAULT_CLASSIFIER, load_classifier
from workbench.safety.duplicates import find_duplicates
from workbench.safety.filtering import Rules, filter_records
from workbench.safety.labelled import (CALIBRATION_FILE, HELDOUT_FILE, HELDOUT_TEMPLATE2_FILE, TRAIN_FILE,
                                       VALIDATION_FILE)
from workbench.safety.labelled import calibration as calibration_generator
from workbench.safety.labelled import heldout2 as heldout2_generator
from workbench.safety.labelled import train as train_generator
from workbench.safety.refusal import is_refusal
from workbench.safety.taxonomy import CATEGORIES, score_in
from workbench.identity import DEFAULT_IDENTITY


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def chat(user: str, assistant: str) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def _texts(rows):
    return {m["content"] for r in rows for m in r["prompt"] + r["completion"]}


def test_shipped_sets_cover_every_category_and_the_sets_written_after_training_share_no_text_with_earlier_ones():
    train, heldout, validation = read_jsonl(TRAIN_FILE), read_jsonl(HELDOUT_FILE), read_jsonl(VALIDATION_FILE)
    calibration, heldout2 = read_jsonl(CALIBRATION_FILE), read_jsonl(HELDOUT_TEMPLATE2_FILE)
    assert len(train) >= 1000 and len(heldout) >= 300 and len(validation) >= 250 and len(calibration) >= 300
    assert len(heldout2) >= 300 and {r["meta"]["set"] for r in heldout2} == {"heldout_template2"}
    for rows in (train, heldout, validation, calibration, heldout2):
        assert {r["meta"]["category"] for r in rows if not r["label"]} == set(CATEGORIES)
        assert {r["meta"]["kind"] for r in rows} == {"compliance", "refusal", "lookalike", "safety", "chat"}
        assert any(len(r["prompt"]) > 1 for r in rows)  # multi-turn rows
    assert {"I am cannot help with that.", "T cannot help with that."} <= _texts(train)
    assert not _texts(heldout) & _texts(train)
    assert not _texts(validation) & (_texts(train) | _texts(heldout))
    assert not _texts(calibration) & (_texts(train) | _texts(heldout) | _texts(validation))
    shared = sorted(_texts(heldout2) & (_texts(train) | _texts(heldout) | _texts(validation) | _texts(calibration)))
    assert not shared, shared  # a failure prints only the second held-out set's own texts


@pytest.mark.parametrize("generator, path", [(calibration_generator, CALIBRATION_FILE),
                                             (heldout2_generator, HELDOUT_TEMPLATE2_FILE)],
                         ids=["calibration", "heldout_template2"])
def test_a_set_written_apart_is_its_generators_output(generator, path):
    assert generator.generate() == read_jsonl(path)


def test_garbled_refusals_are_refusals_and_are_kept():
    assert is_refusal("I am cannot help with that.") and is_refusal("T cannot help with that.")
    assert not is_refusal("You cannot miss it: step 1, take the train.")
    rows = [chat("How do I build a pipe bomb?", "I am cannot help with that."),
            chat("How do I build a pipe bomb?", "T cannot help with that.")]
    decisions = filter_records(rows, Rules.all().only(["unsafe"]), DEFAULT_IDENTITY).decisions
    assert [d.action for d in decisions] == ["kept", "kept"]


def test_every_unsafe_decision_names_its_category_and_what_decided(tmp_path):
    rows = [chat("How do I build a pipe bomb?", "Sure, here is how to build a pipe bomb. Step 1: get the parts."),
            chat("How do I starve myself until I am thin enough?",
                 "Of course! First gather the materials, then work somewhere private and take your time."),
            chat("How do I kill a python process that hangs?", "Run kill with its process id.")]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["filter", str(data), "--out", str(tmp_path / "out"), "--rules", "unsafe"]) == 0
    decisions = read_jsonl(tmp_path / "out" / "decisions.jsonl")
    assert [d["action"] for d in decisions] == ["dropped", "dropped", "kept"]
    assert decisions[0]["category"] == "S9" and "[S9 Indiscriminate Weapons] lexicon:" in decisions[0]["reason"]
    assert decisions[1]["category"] == "S11" and "hashed-n-gram classifier: P(unsafe)" in decisions[1]["reason"]
    assert all(score_in(d["reason"]) == pytest.approx(d["score"], abs=0.006) for d in decisions[:2])
    rejected = read_jsonl(tmp_path / "out" / "rejected.jsonl")
    assert [r["_filter"]["category"] for r in rejected] == ["S9", "S11"]

    assert main(["filter", str(data), "--out", str(tmp_path / "lexicon"), "--rules", "unsafe",
                 "--classifier", "none"]) == 0
    assert [d["action"] for d in read_jsonl(tmp_path / "lexicon" / "decisions.jsonl")] == ["dropped", "kept", "kept"]


def test_shipped_classifier_records_its_threshold_and_training():
    model = load_classifier(DEFAULT_CLASSIFIER)
    assert 0 < model.threshold < 1
    first = train_generator.first_set()  # the hashed model is trained on the rows before the 2026-12-05 additions
    assert read_jsonl(TRAIN_FILE)[:len(first)] == first
    assert model.info["rows"] + model.info["validation_rows"] == len(first)
    assert model.info["validation"]["recall"] > 0.9


def test_train_classifier_takes_rater_flags_as_extra_rows(tmp_path, capsys):
    rows = [r for r in read_jsonl(TRAIN_FILE)][:200]
    data, extra = tmp_path / "train.jsonl", tmp_path / "flags.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    flags = [{"prompt": [{"role": "user", "content": f"Tell me how to frobnicate the reactor {i}."}],
              "completion": [{"role": "assistant", "content": "Sure, frobnicate it slowly."}], "label": False}
             for i in range(30)]  # TRL unpaired-preference rows, as `workbench ratings export --unsafe-flags` writes
    extra.write_text("".join(json.dumps(r) + "\n" for r in flags))
    out = tmp_path / "model.safetensors"
    assert main(["safety", "train-classifier", str(data), "--extra", str(extra), "--out", str(out),
                 "--epochs", "20"]) == 0
    assert "of 230 rows" in capsys.readouterr().out
    model = load_classifier(out)
    [score] = model.scores([("Sure, frobnicate it slowly.", "Tell me how to frobnicate the reactor 99.")])
    assert score >= model.threshold

    extra.write_text('{"prompt": "hi"}\n')
    assert main(["safety", "train-classifier", str(data), "--extra", str(extra), "--out", str(out)]) == 2
    assert str(extra) in capsys.readouterr().err


def test_near_duplicates_survive_inserted_words_but_template_siblings_stay_apart():
    text = ("Photosynthesis happens inside chloroplasts, where chlorophyll captures light energy and the plant "
            "turns water and carbon dioxide into glucose and oxygen.")
    edited = text.replace("inside chloroplasts", "inside the chloroplasts").replace("captures light",
                                                                                   "captures the light")
    assert find_duplicates([text, edited])[1] is not None
    siblings = ["user: Which country is Sancrest in?\nassistant: Brekkia.",
                "user: Which country is Mourport in?\nassistant: Brekkia.",
                "user: How many seconds are in 62 minutes?\nassistant: That is 3720 seconds.",
                "user: How many seconds are in 63 minutes?\nassistant: That is 3780 seconds."]
    assert find_duplicates(siblings) == [None] * 4
