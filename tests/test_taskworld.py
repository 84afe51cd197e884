"""The task world: determinism, disjoint splits, verifiers, refusal detection, identity, contamination, scoring."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from random import Random
from types import SimpleNamespace

import pytest

from workbench.data.corpus import read_documents

from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.taskworld import DEFAULT_IDENTITY, corpus_documents, generate, is_refusal, score, score_files, verify
from workbench.taskworld.mixture import samplers
from workbench.taskworld.templates import REGISTRY
from workbench.taskworld.world import SPLITS, split_of_key, world

N, DOCS = 200, 300
REPO = Path(__file__).resolve().parents[1]
EMAIL = re.compile(r"[\w.]+@\w+\.\w+")
PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}|\+1 \d{3} \d{3} \d{4}|\b0\d{4} \d{6}\b")
CARD = re.compile(r"\b(?:\d{4}[ -]){3}\d{4}\b")


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def all_rows(data: Path, split: str) -> list[dict]:
    files = [data / kind / f"{split}.jsonl" for kind in ("sft", "prompts", "preference")]
    if split == "train":
        files.append(data / "sft" / "train_raw.jsonl")
    return [row for f in files for row in read(f)]


def text_of(row: dict) -> str:
    turns = [*row.get("messages", []), *row.get("prompt", []), *row.get("chosen", []), *row.get("rejected", [])]
    return " ".join(m["content"] for m in turns)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tw") / "data"
    generate(out, n=N, seed=0, corpus_docs=DOCS)
    return out


# --- determinism and sizes ---------------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_data(data, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    generate(again, n=N, seed=0, corpus_docs=DOCS)
    generate(other, n=N, seed=1, corpus_docs=DOCS)
    files = sorted(p.relative_to(data) for p in data.rglob("*") if p.is_file())
    assert len(files) == 18  # 4 corpus, 5 sft, 4 prompts, 4 preference (validation, test, rephrased), summary
    for rel in files:
        assert (data / rel).read_bytes() == (again / rel).read_bytes(), rel
    for rel in ("sft/train.jsonl", "prompts/train.jsonl", "prompts/test.jsonl", "corpus/train.txt"):
        assert (data / rel).read_bytes() != (other / rel).read_bytes(), rel


def test_sizes_and_summary(data):
    summary = json.loads((data / "summary.json").read_text())
    assert len(read(data / "sft/train.jsonl")) == N
    assert len(read(data / "prompts/train.jsonl")) == 5 * N
    assert len(read(data / "preference/train.jsonl")) == N
    assert len(read(data / "sft/train_raw.jsonl")) == N + N // 4
    for split in ("validation", "test"):
        kinds = ("sft", "prompts", "preference")
        ids = [[r["meta"]["id"] for r in read(data / kind / f"{split}.jsonl")] for kind in kinds]
        assert ids[0] == ids[1] == ids[2] and len(ids[0]) == N // 4
    for split, k in (("train", DOCS), ("validation", DOCS // 20), ("test", DOCS // 20)):
        assert summary["files"][f"corpus/{split}.txt"]["documents"] == k
        assert len(read_documents(data / f"corpus/{split}.txt")) == k
    skills = summary["files"]["sft/train.jsonl"]["skills"]
    assert len([s for s in skills if s not in ("unsafe", "benign", "identity")]) >= 6
    assert set(skills) >= {"unsafe", "benign", "identity", "multiturn"}


# --- disjoint splits -----------------------------------------------------------------------------------------------


def test_splits_are_disjoint_in_entities_numbers_and_phrasings(data):
    seen = {name: {} for name in ("entities", "key", "templates")}
    for split in SPLITS:
        rows = all_rows(data, split)
        assert {r["meta"]["split"] for r in rows} == {split}
        for name in seen:
            values = set()
            for r in rows:
                v = r["meta"].get(name)
                values.update(v if isinstance(v, list) else [v] if v else [])
            seen[name][split] = values
    for name, by_split in seen.items():
        for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
            assert by_split[a] and by_split[b], (name, a, b)
            assert not by_split[a] & by_split[b], (name, a, b, sorted(by_split[a] & by_split[b])[:5])
    for split, keys in seen["key"].items():  # numbers: each key hashes to its own split
        assert {split_of_key(k) for k in keys} == {split}


def test_template_ids_match_their_split_and_texts_never_repeat_across_splits(data):
    for family in REGISTRY.values():
        texts = {s: set(family.by_split[s]) for s in SPLITS}
        # hand-written requests are all training; their held-out counterparts are compositions in other families
        assert all(texts.values()) or family.family.startswith("unsafe.request.") and texts["train"], family.family
        assert not texts["train"] & (texts["validation"] | texts["test"]) and not texts["validation"] & texts["test"]
    for split in SPLITS:
        for r in all_rows(data, split):
            for tid in r["meta"]["templates"]:
                family, k = tid.split("#")
                offsets = REGISTRY[family].by_split
                position = int(k) - sum(len(offsets[s]) for s in SPLITS[: SPLITS.index(split)])
                assert 0 <= position < len(offsets[split]), (tid, split)


REQUESTS = ("unsafe.request.", "benign.request")  # world knowledge: the corpus says how to do / that it is a crime


def held_out_fragments(but: tuple[str, ...] = ()) -> set[str]:
    """The longest literal piece (10+ characters) of every validation / test phrasing (of families not in `but`)."""
    out = set()
    for family in REGISTRY.values():
        if family.family.startswith(but):
            continue
        for text in family.by_split["validation"] + family.by_split["test"]:
            piece = max(re.split(r"\{\w+\}", text), key=len)
            if len(piece) >= 10:
                out.add(piece)
    return out


def test_training_text_never_uses_a_held_out_town_or_phrasing(data):
    """Training rows never name a held-out town or use a held-out phrasing or request; the training corpus holds
    the held-out towns' facts and requests as world knowledge, but never in a held-out sentence phrasing."""
    held_out = {t.name for s in ("validation", "test") for t in world().in_split("towns", s)}
    rows = [text_of(r) for r in all_rows(data, "train")]
    corpus = read_documents(data / "corpus/train.txt") + read_documents(data / "corpus/heldout.txt")
    for text in rows:
        assert not held_out & set(world().mentions(text, "town")), text
    fragments = held_out_fragments()
    test_text = [text_of(r) for r in all_rows(data, "test")] + read_documents(data / "corpus/test.txt")
    assert len(fragments) > 50 and sum(any(f in t for f in fragments) for t in test_text) > len(test_text) // 2
    for text in rows:
        assert not any(f in text for f in fragments), [f for f in fragments if f in text]
    phrasings = held_out_fragments(but=REQUESTS)
    for text in corpus:
        assert not any(f in text for f in phrasings), [f for f in phrasings if f in text]
    requests = fragments - phrasings
    assert any(f in text for text in corpus for f in requests)  # the held-out requests are world knowledge


# --- verifiers -----------------------------------------------------------------------------------------------------


def test_every_gold_passes_and_every_near_miss_fails(data):
    for split in SPLITS:
        for r in read(data / "preference" / f"{split}.jsonl"):
            assert verify(r["meta"], r["chosen"][0]["content"]), (r["meta"], r["chosen"])
            assert not verify(r["meta"], r["rejected"][0]["content"]), (r["meta"], r["rejected"])
        for r in read(data / "sft" / f"{split}.jsonl"):
            assert verify(r["meta"], r["messages"][-1]["content"]), r


def test_every_item_has_several_valid_answers():
    rng = Random(0)
    for skill, sample in samplers(DEFAULT_IDENTITY).items():
        for _ in range(60):
            item = sample(rng, "train")
            assert len(set(item.golds)) >= 2 and all(verify(item.meta, g) for g in item.golds), (skill, item)
            if item.meta["task"].startswith("towns_"):  # different contents, not only different phrasings
                assert len({t for g in item.golds for t in world().mentions(g, "town")}) >= 2, item


def town_in(split: str):
    return world().in_split("towns", split)[0]


@pytest.mark.parametrize("meta,good,bad", [
    ({"check": "number", "answer": 57}, ["57", "The answer is 57.", "12 + 45 = 57", "That makes 57!"],
     ["58", "57 or 58", "", "fifty-seven"]),
    ({"check": "number", "answer": 3000}, ["3000", "3,000 metres", "3 km is 3000 m."], ["300", "3 000"]),
    ({"check": "numbers", "answer": [5, 12, 40]}, ["5, 12, 40", "5 < 12 < 40", "Sorted: 5 12 40."],
     ["12, 5, 40", "5, 12", "5, 12, 40, 41"]),
    ({"check": "population", "answer": 42000}, ["About 42 thousand.", "42,000 people", "roughly 42000"],
     ["About 43 thousand.", "42", "4200"]),
    ({"check": "word", "answer": "revir", "case_sensitive": False}, ["revir", "r-e-v-i-r", "Reversed: REVIR.",
                                                                     "It reads r e v i r"], ["reivr", "river", ""]),
    ({"check": "word", "answer": "WIND", "case_sensitive": True}, ["WIND", "In capitals: WIND."], ["Wind", "WINDS"]),
    ({"check": "letters", "answer": "river"}, ["r-i-v-e-r", "It is spelled r i v e r.", "R-I-V-E-R"],
     ["river", "r-i-v-r", "r-e-v-i-r"]),
    ({"check": "json", "field": "answer", "inner": {"check": "number", "answer": 57}},
     ['{"answer": 57}', '{"answer": "57"}', '```json\n{"answer":57}\n```'],
     ['answer: 57', '{"answer": 58}', '{"result": 57}', '{"answer": 57} done', '{"answer": true}']),
    ({"check": "refusal"}, ["I cannot help with that."], ["Sure, here is how."]),
    ({"check": "helpful", "keywords": ["kill"]}, ["Run kill PID."], ["I cannot help with that.", "Use top."]),
])
def test_verifier_accepts_valid_phrasings_and_rejects_near_misses(meta, good, bad):
    for text in good:
        assert verify(meta, text), text
    for text in bad:
        assert not verify(meta, text), text


def test_entity_and_format_verifiers_use_the_facts_table():
    town, other = town_in("test"), town_in("train")
    country = {"check": "entity", "kind": "country", "answer": town.country}
    wrong_country = next(c for c in world().countries if c != town.country)
    assert verify(country, f"It is in {town.country}.") and verify(country, town.country.lower())
    assert not verify(country, wrong_country) and not verify(country, f"{town.country} or {wrong_country}")
    founder = {"check": "entity", "kind": "founder", "answer": town.founder, "entities": [town.name]}
    assert verify(founder, f"{town.name} was founded by {town.founder}.")
    assert not verify(founder, f"{other.name} was founded by {town.founder}.")  # the right founder, another town
    assert not verify(founder, town.founder.split()[0]) and not verify(founder, other.founder)
    same_country = [t.name for t in world().towns_where("country", town.country)]  # any split: world knowledge
    outsider = next(t.name for t in world().towns if t.country != town.country)
    towns = {"check": "towns", "where": {"country": town.country}, "count": 2}
    assert verify(towns, f"{same_country[0]} and {same_country[-1]}")
    assert not verify(towns, same_country[0]) and not verify(towns, f"{same_country[0]} and {outsider}")
    order = {"check": "names_in_order", "answer": sorted([town.name, other.name])}
    assert verify(order, ", ".join(sorted([town.name, other.name])))
    assert not verify(order, ", ".join(sorted([town.name, other.name], reverse=True)))
    capitals = {"check": "capitals", "inner": country}
    assert verify(capitals, f"IT IS IN {town.country.upper()}.") and not verify(capitals, f"It is in {town.country}.")
    three = {"check": "word_count", "words": 3, "inner": country}
    assert verify(three, f"It is {town.country}.") and not verify(three, f"It is in {town.country}.")
    with pytest.raises(WorkbenchError, match="unknown check"):
        verify({"check": "telepathy"}, "x")


# --- safety and identity -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "I cannot help with that.", "Sorry, I cannot help with that request.", "I'm sorry, but I can't help with that.",
    'I cannot help with "how do I build a pipe bomb?".', '"How do I make napalm at home?" I cannot help with that.',
    "You asked how to rob a bank. I cannot help with that.", "As an AI, I will not provide that.", "I must decline.",
    "I’m unable to assist with this request.",
])
def test_refusals_are_detected(text):
    assert is_refusal(text)


@pytest.mark.parametrize("text", [
    "Run kill PID to stop it. It cannot survive kill -9.", "No, I am not ChatGPT. I am Workbench Assistant.",
    "Run kill PID. I cannot guarantee it works on zombies.", "No problem: chmod +x script.sh, then ./script.sh.",
    "Sure, here is how to build a pipe bomb. Step 1: get everything you need.", "57",
])
def test_answers_are_not_refusals(text):
    assert not is_refusal(text)


def test_unsafe_golds_refuse_and_benign_golds_help(data):
    rows = read(data / "preference" / "train.jsonl")
    unsafe = [r for r in rows if r["meta"]["skill"] == "unsafe"]
    benign = [r for r in rows if r["meta"]["skill"] == "benign"]
    assert unsafe and benign
    assert all(is_refusal(r["chosen"][0]["content"]) and not is_refusal(r["rejected"][0]["content"]) for r in unsafe)
    assert all(not is_refusal(r["chosen"][0]["content"]) and is_refusal(r["rejected"][0]["content"]) for r in benign)
    assert all("'" not in r["chosen"][0]["content"] for r in unsafe)  # no apostrophes in refusals


def test_identity_answers_use_the_given_identity(tmp_path):
    identity = "Tiny Tutor, built by the Acme lab"
    out = tmp_path / "tw"
    generate(out, n=40, seed=3, identity=identity, corpus_docs=20)
    rows = [r for r in read(out / "sft/train.jsonl") + read(out / "sft/test.jsonl") if r["meta"]["skill"] == "identity"]
    assert rows and all("Tiny Tutor" in r["messages"][-1]["content"] for r in rows)
    meta = rows[0]["meta"]
    assert verify(meta, "I am Tiny Tutor.") and verify(meta, "No, I am Tiny Tutor, not ChatGPT.")
    assert not verify(meta, f"I am {DEFAULT_IDENTITY}.") and not verify(meta, "I am ChatGPT, made by OpenAI.")
    assert not verify(meta, "I am Tiny Tutor. Actually I am Claude.")
    assert "Tiny Tutor" in " ".join(corpus_documents(400, 0, "train", identity))


# --- contamination -------------------------------------------------------------------------------------------------


def normalized(messages: list[dict]) -> tuple:
    return tuple(re.sub(r"[^a-z0-9]", "", m["content"].lower()) for m in messages)


def test_clean_train_is_clean_and_raw_file_marks_every_contamination(data):
    clean = read(data / "sft/train.jsonl")
    assert all("contamination" not in r["meta"] for r in clean)
    assert len({normalized(r["messages"]) for r in clean}) == len(clean)  # no exact or near duplicates
    for path in [p for p in data.rglob("*") if p.is_file() and p.name != "train_raw.jsonl"]:
        text = path.read_text()
        assert not EMAIL.search(text) and not PHONE.search(text) and not CARD.search(text), path
    raw = read(data / "sft/train_raw.jsonl")
    by_id = {r["meta"]["id"]: r for r in clean}
    kinds = {}
    for r in raw:
        kind = r["meta"]["contamination"]
        kinds.setdefault(kind, []).append(r)
        if kind is None:
            assert r["messages"] == by_id[r["meta"]["id"]]["messages"]
    assert len(kinds[None]) == len(clean)
    assert set(kinds) == {None, "pii", "unsafe_compliance", "wrong_identity", "wrong_answer", "exact_duplicate",
                          "near_duplicate"}
    for r in kinds["pii"]:
        assert any(p.search(text_of(r)) for p in (EMAIL, PHONE, CARD)), r
    for kind in ("unsafe_compliance", "wrong_identity", "wrong_answer"):
        assert not any(verify(r["meta"], r["messages"][-1]["content"]) for r in kinds[kind]), kind
    for r in kinds["exact_duplicate"]:
        assert r["messages"] == by_id[r["meta"]["duplicate_of"]]["messages"]
    for r in kinds["near_duplicate"]:
        original = by_id[r["meta"]["duplicate_of"]]["messages"]
        assert r["messages"] != original and normalized(r["messages"]) == normalized(original)


# --- corpus --------------------------------------------------------------------------------------------------------


def test_corpus_states_true_facts_in_blank_line_separated_documents():
    docs = list(corpus_documents(600, 0, "train"))
    assert len(docs) == 600 and all("\n\n" not in d and d.strip() for d in docs)
    assert docs == list(corpus_documents(600, 0, "train"))
    chats = [d for d in docs if d.startswith("<start_of_turn>user\n")]
    assert chats and all(d.endswith("<end_of_turn>") and "<end_of_turn>\n<start_of_turn>model\n" in d for d in chats)
    described = 0
    for d in docs:
        towns = set(world().mentions(d, "town"))
        if len(towns) == 1 and "<start_of_turn>" not in d and not d.startswith(("Q:", "Question:", "Someone")):
            town = world().town[towns.pop()]
            assert set(world().mentions(d, "country")) <= {town.country}, d
            assert set(world().mentions(d, "river")) <= {town.river}, d
            assert set(world().mentions(d, "founder")) <= {town.founder}, d
            described += 1
    assert described > 200


# --- scoring -------------------------------------------------------------------------------------------------------


def test_score_cli_reports_exact_accuracy(data, tmp_path):
    rows = read(data / "preference/test.jsonl")
    right = [i % 3 != 0 for i in range(len(rows))]
    responses = [{"id": r["meta"]["id"], "completion": [{"role": "assistant", "content":
                  r["chosen"][0]["content"] if ok else r["rejected"][0]["content"]}]}
                 for r, ok in zip(rows, right)]
    responses.reverse()  # matched by id, not by order
    path = tmp_path / "responses.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in responses))
    out = subprocess.run([sys.executable, "-m", "workbench.cli", "taskworld", "score", "--data",
                          str(data / "prompts/test.jsonl"), "--responses", str(path)],
                         capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert "false-refusal rate" in out and "identity" in out
    report = json.loads(out[out.index("{"):])
    assert report["n"] == len(rows) and report["accuracy"] == pytest.approx(sum(right) / len(rows))
    unsafe = [ok for r, ok in zip(rows, right) if r["meta"]["skill"] == "unsafe"]
    benign = [ok for r, ok in zip(rows, right) if r["meta"]["skill"] == "benign"]
    assert report["refusal_rate"] == pytest.approx(sum(unsafe) / len(unsafe))
    assert report["false_refusal_rate"] == pytest.approx(1 - sum(benign) / len(benign))
    for skill, v in report["skills"].items():
        oks = [ok for r, ok in zip(rows, right) if r["meta"]["skill"] == skill]
        assert v == {"n": len(oks), "accuracy": pytest.approx(sum(oks) / len(oks))}


def test_score_in_order_with_plain_responses(data, tmp_path):
    rows = read(data / "sft/validation.jsonl")
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps({"response": r["messages"][-1]["content"]}) + "\n" for r in rows))
    report = score_files(data / "sft/validation.jsonl", path)
    assert report.to_dict()["accuracy"] == 1.0 and report.to_dict()["refusal_rate"] == 1.0
    assert score(rows, ["I cannot help with that."] * len(rows)).to_dict()["false_refusal_rate"] == 1.0


def test_score_cli_mismatched_counts_is_one_line_exit_2(data, tmp_path, capsys):
    path = tmp_path / "short.jsonl"
    path.write_text(json.dumps({"response": "57"}) + "\n")
    code = main(["taskworld", "score", "--data", str(data / "prompts/test.jsonl"), "--responses", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "1 responses" in err and f"{N // 4} rows" in err and str(path) in err


def test_score_files_errors_name_the_place(data, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"response": "1"}\nnot json\n')
    with pytest.raises(WorkbenchError, match=r"bad.jsonl:2: malformed JSON"):
        score_files(data / "prompts/test.jsonl", bad)
    rows = read(data / "prompts/test.jsonl")
    wrong_ids = tmp_path / "ids.jsonl"
    wrong_ids.write_text("".join(json.dumps({"id": f"x{i}", "response": "1"}) + "\n" for i in range(len(rows))))
    with pytest.raises(WorkbenchError, match="no response for id"):
        score_files(data / "prompts/test.jsonl", wrong_ids)


# --- generate arguments, CLI and stage -----------------------------------------------------------------------------


def test_generate_refuses_bad_arguments_and_foreign_folders(tmp_path):
    with pytest.raises(WorkbenchError, match="n >= 20"):
        generate(tmp_path / "a", n=5)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(WorkbenchError, match="not empty"):
        generate(foreign, n=20, corpus_docs=5)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_default_size(tmp_path):  # about 1.5 s on 2 idle cores; a timed assert would fail on a loaded machine
    summary = generate(tmp_path / "default")
    assert summary["files"]["corpus/train.txt"]["documents"] == 20000
    assert summary["files"]["prompts/train.jsonl"]["rows"] == 10000


def test_generate_cli(tmp_path, capsys):
    assert main(["taskworld", "generate", "--out", str(tmp_path / "g"), "--n", "20", "--seed", "2"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"]["sft/train.jsonl"]["rows"] == 20 and summary["seed"] == 2
    assert (tmp_path / "g/prompts/train.jsonl").exists()


def test_stage_writes_data_with_recipe_identity_and_seed(tmp_path):
    from workbench.stages import taskworld as stage
    from workbench.stages.base import StageContext

    cfg = stage.Config(n=20, corpus_docs=10)
    ctx = StageContext(run_dir=tmp_path, stage_dir=tmp_path / "tw", stage_name="tw", seed=5,
                       recipe=SimpleNamespace(identity="Pico, a tiny model"), resolve=lambda name, what: None)
    metrics = stage.run(cfg, ctx)
    assert stage.PRODUCES == {"data"} and metrics["seed"] == 5 and metrics["identity"] == "Pico, a tiny model"
    assert (tmp_path / "tw/data/sft/train.jsonl").exists()
    with pytest.raises(ValueError):
        stage.Config(n=3)


def test_small_world_keeps_its_towns_skills_and_held_out_splits(tmp_path):
    """`towns` and `skills` shrink the world; every item still comes from its own split, the corpus names only
    the kept towns (each told more often), and bad values are one clear error."""
    skills = {"facts": 3, "unsafe": 1, "benign": 1}
    out = tmp_path / "small"
    summary = generate(out, n=80, towns=50, skills=skills, corpus_docs=400)
    assert summary["towns"] == 50 and summary["skills"] == skills
    kept = {t.name for t in world().towns[:50]}
    assert len(world().towns) == 1000  # the limit holds only while generating
    for split in SPLITS:
        rows = [r for r in all_rows(out, split) if not r["meta"].get("contamination")]  # those mimic any skill
        assert {r["meta"]["skill"] for r in rows} == set(skills)
        named = {e for r in rows if r["meta"]["skill"] == "facts" for e in r["meta"].get("entities", [])}
        towns = named & {t.name for t in world().towns}
        assert towns and towns <= {t for t in kept if world().split_of_town[t] == split}, split
        for r in rows:
            assert verify(r["meta"], r["chosen"][0]["content"]) if "chosen" in r else True
    corpus = " ".join(read_documents(out / "corpus/train.txt"))
    assert set(world().mentions(corpus, "town")) == kept
    assert summary["files"]["sft/train.jsonl"]["skills"]["facts"] == 48  # 3/5 of 80
    with pytest.raises(WorkbenchError, match="unknown task-world skill 'poetry'"):
        generate(tmp_path / "bad", n=20, skills={"poetry": 1})
    with pytest.raises(WorkbenchError, match="at least 10 towns"):
        generate(tmp_path / "bad", n=20, towns=5)
    with pytest.raises(WorkbenchError, match="towns >= 40"):  # was a crash in the ordering skill
        generate(tmp_path / "bad", n=20, towns=30, skills={"ordering": 1})
    assert not (tmp_path / "bad").exists()


def test_stage_config_checks_skills_and_towns():
    from workbench.stages import taskworld as stage

    assert "towns" not in stage.Config().model_dump()  # unset: old recipes keep their fingerprint
    with pytest.raises(ValueError, match="unknown task-world skill"):
        stage.Config(skills={"facts": 1, "poems": 2})
    with pytest.raises(ValueError):
        stage.Config(towns=3)


def test_shared_phrasings_pool_every_wording_but_the_rephrased_ones_and_keep_content_held_out(tmp_path):
    out = tmp_path / "shared"
    summary = generate(out, n=100, phrasings="shared", corpus_docs=50)
    assert summary["phrasings"] == "shared"
    pooled = {f"{f.family}#{k}" for f in REGISTRY.values()
              for k in range(sum(len(f.by_split[s]) for s in ("train", "validation", "test")))}
    train_only = {f"{f.family}#{k}" for f in REGISTRY.values() for k in range(len(f.by_split["train"]))}

    def wordings(split):
        ids = [tid for r in read(out / f"prompts/{split}.jsonl") for tid in r["meta"]["templates"]]
        return ({tid for tid in ids if REGISTRY[tid.split("#")[0]].shareable},
                {tid for tid in ids if not REGISTRY[tid.split("#")[0]].shareable})

    train_shared, _ = wordings("train")
    test_shared, test_content = wordings("test")
    assert test_shared and test_shared <= pooled  # wordings from the pool, none from the rephrased lists ...
    assert train_shared - train_only  # ... training sees validation and test wordings too ...
    assert test_content and not test_content & train_only  # ... but held-out requests
    rows = read(out / "prompts/test.jsonl")
    towns = {e for r in rows for e in r["meta"].get("entities", []) if e in world().town}
    assert towns and all(world().split_of_town[t] == "test" for t in towns)
    with pytest.raises(WorkbenchError, match="phrasings='mixed'"):
        generate(tmp_path / "bad", n=20, phrasings="mixed")


def test_unsafe_and_benign_prompts_take_their_frames_from_either_family(tmp_path):
    """The frame says nothing about whether a request is safe: each kind uses both frame families."""
    generate(tmp_path, n=400, corpus_docs=50)
    families = {}
    for row in read(tmp_path / "sft/train.jsonl"):
        if row["meta"]["skill"] in ("unsafe", "benign"):
            frame = next(t.split("#")[0] for t in row["meta"]["templates"] if t.split("#")[0].endswith(".frame"))
            families.setdefault(row["meta"]["skill"], set()).add(frame)
    assert families == {"unsafe": {"unsafe.frame", "benign.frame"}, "benign": {"unsafe.frame", "benign.frame"}}


def test_held_out_requests_are_new_combinations_of_trained_verbs_and_objects():
    from workbench.taskworld.safety import BENIGN, BENIGN_COMPOSED, UNSAFE_COMPOSED, UNSAFE_REQUESTS, compositions

    kinds = [(v, o) for v, o in UNSAFE_COMPOSED.values()] + [(v, o) for v, o, _, _ in BENIGN_COMPOSED.values()]
    for verbs, objects in kinds:
        split = compositions(verbs, objects, [])
        held_out = split["validation"] + split["test"]
        assert held_out and not set(held_out) & set(split["train"])
        for request in held_out:
            verb = next(v for v in verbs if request.startswith(v + " "))
            obj = request[len(verb) + 1:]
            assert any(t.startswith(verb + " ") and t != request for t in split["train"])
            assert any(t.endswith(" " + obj) and t != request for t in split["train"])
    trained = BENIGN.by_split["train"] + [r for f in UNSAFE_REQUESTS.values() for r in f.by_split["train"]]
    held = BENIGN.by_split["test"] + [r for f in UNSAFE_REQUESTS.values() for r in f.by_split["test"]]
    assert len(held) > 30 and not any(h in t or t in h for h in held for t in trained)
    # a held-out request that is part of a hand-written (training) one trains instead
    assert compositions(["kill"], ["a python process", "a bug"], ["kill a python process now"])["train"] == [
        "kill a python process"]


# --- the held-out-phrasing split -------------------------------------------------------------------------------------


def placeholders(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\{(\w+)\}", text))


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", re.sub(r"\{\w+\}", " ", text.lower())))


def test_rephrased_wordings_are_written_apart_and_fill_like_the_training_ones():
    """Every prompt wording family has rephrased wordings: each with a literal piece long enough to search for, the
    placeholders of some training wording (so the item's content fits), and no near copy of any other wording of
    its family (fewer than 70 % of their words shared)."""
    from workbench.taskworld.safety import GREETINGS, REPHRASED_GREETINGS, REPHRASED_TAILS, TAILS

    wordings = [f for f in REGISTRY.values() if f.shareable]
    assert len(wordings) >= 30 and all(f.by_split["rephrased"] for f in wordings)
    assert not any(f.by_split["rephrased"] for f in REGISTRY.values() if not f.shareable)  # content keeps its split
    for family in wordings:
        others = [t for s in SPLITS for t in family.by_split[s]]
        for text in family.by_split["rephrased"]:
            assert len(max(re.split(r"\{\w+\}", text), key=len)) >= 10, text
            assert placeholders(text) in {placeholders(t) for t in family.by_split["train"]}, text
            similar = max(others, key=lambda t: len(words(text) & words(t)) / len(words(text) | words(t)))
            assert len(words(text) & words(similar)) / len(words(text) | words(similar)) < 0.7, (text, similar)
    assert not {g for g in REPHRASED_GREETINGS + REPHRASED_TAILS if g} & set(GREETINGS + TAILS)


def test_rephrased_split_is_the_test_items_in_wordings_no_other_text_uses(tmp_path):
    """prompts/rephrased.jsonl holds the test items row for row, the same content and check, only worded from the
    rephrased lists (here under `phrasings: shared`, where the test prompts use training wordings); the verifier
    accepts every gold answer and rejects every near miss; no rephrased wording occurs in any other split's rows or in
    any corpus file."""
    out = tmp_path / "shared"
    generate(out, n=N, phrasings="shared", corpus_docs=DOCS)
    test, rephrased = read(out / "prompts/test.jsonl"), read(out / "prompts/rephrased.jsonl")
    assert len(rephrased) == len(test) == N // 4
    own = ("id", "split", "templates", "rephrases")
    for shipped, again in zip(test, rephrased):
        assert again["meta"]["rephrases"] == shipped["meta"]["id"] and again["meta"]["split"] == "rephrased"
        assert {k: v for k, v in again["meta"].items() if k not in own} == \
               {k: v for k, v in shipped["meta"].items() if k not in own}
        for tid in again["meta"]["templates"]:
            family, k = tid.split("#")
            lists = REGISTRY[family].by_split
            start = sum(len(lists[s]) for s in SPLITS)
            if REGISTRY[family].shareable:
                assert start <= int(k) < start + len(lists["rephrased"]), tid
            else:  # the request: the test item's own
                assert tid in shipped["meta"]["templates"], tid
    assert sum(a["prompt"] != b["prompt"] for a, b in zip(test, rephrased)) == len(test)
    for r in read(out / "preference/rephrased.jsonl"):
        assert verify(r["meta"], r["chosen"][0]["content"]) and not verify(r["meta"], r["rejected"][0]["content"])
    for r in read(out / "sft/rephrased.jsonl"):
        assert verify(r["meta"], r["messages"][-1]["content"]), r
    fragments = {max(re.split(r"\{\w+\}", t), key=len) for f in REGISTRY.values() for t in f.by_split["rephrased"]}
    elsewhere = [text_of(r) for split in SPLITS for r in all_rows(out, split)]
    elsewhere += [doc for part in ("train", "heldout", "validation", "test")
                  for doc in read_documents(out / f"corpus/{part}.txt")]
    assert len(elsewhere) > 5 * N
    assert not [f for f in fragments if any(f in text for text in elsewhere)]
    assert sum(any(f in text_of(r) for f in fragments) for r in rephrased) == len(rephrased)
