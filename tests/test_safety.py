"""workbench.safety: each filter rule (with its hard negatives), decisions and overrides, the `workbench filter`
command, the `filter` stage in a recipe, and precision/recall on the shipped labelled set."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.pipeline import run_recipe
from workbench.recipe import load_recipe
from workbench.safety import record_key
from workbench.safety.duplicates import find_duplicates
from workbench.safety.filtering import RULES, PiiSettings, Rules, filter_records, labelled_scores
from workbench.safety.pii import find_pii, iban_valid, luhn_valid, redact
from workbench.safety.self_id import identity_claims
from workbench.safety.texts import record_texts
from workbench.safety.taxonomy import CATEGORIES
from workbench.safety.unsafe import check_response
from workbench.taskworld import DEFAULT_IDENTITY

LABELLED = Path(__file__).parent / "data" / "safety_labelled.jsonl"
GOALS = {"pii": 0.95, "unsafe": 0.9, "self_id": 0.9, "duplicate": 0.9}


def chat(user: str, assistant: str, **extra) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}], **extra}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- record key ------------------------------------------------------------------------------------------------


def test_record_key_is_the_shared_contract_and_ignores_the_filter_block():
    record = {"messages": [{"role": "user", "content": "Grüße"}], "meta": {"id": 1}}
    expected = hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    assert record_key(record) == expected
    assert record_key({**record, "_filter": {"rule": "pii"}}) == expected
    assert record_key({**record, "meta": {"id": 2}}) != expected


# --- pii -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kind, value", [
    ("write to jane.doe+news@mail.example.org today", "email", "jane.doe+news@mail.example.org"),
    ("call +44 20 7946 0958 now", "phone", "+44 20 7946 0958"),
    ("ring (212) 555-0199 after lunch", "phone", "(212) 555-0199"),
    ("text 415-555-0134", "phone", "415-555-0134"),
    ("ring the agent on 020 7946 0321 before noon", "phone", "020 7946 0321"),
    ("call me on 5551234567 tonight", "phone", "5551234567"),
    ("card 4111 1111 1111 1111 please", "card", "4111 1111 1111 1111"),
    ("amex 3782-822463-10005", "card", "3782-822463-10005"),
    ("pay into GB82 WEST 1234 5698 7654 32 soon", "iban", "GB82 WEST 1234 5698 7654 32"),
    ("my SSN is 536-22-8714", "national_id", "536-22-8714"),
    ("social security number 078051121 on file", "national_id", "078051121"),
    ("NI number JG 10 37 35 A", "national_id", "JG 10 37 35 A"),
    ("logins from 185.220.101.7 today", "ip", "185.220.101.7"),
    ("use 2001:4860:4860::8888 for DNS", "ip", "2001:4860:4860::8888"),
    ("she lives at 742 Evergreen Terrace, Springfield.", "address", "742 Evergreen Terrace, Springfield"),
    ("ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500 asap", "address",
     "1600 Pennsylvania Avenue NW, Washington, DC 20500"),
    ("key sk-proj-4fGh7Kp2Lm9QzX1vB8nR3tY6wE0aS5dF leaked", "secret", "sk-proj-4fGh7Kp2Lm9QzX1vB8nR3tY6wE0aS5dF"),
    ("id AKIAIOSFODNN7EXAMPLQ here", "secret", "AKIAIOSFODNN7EXAMPLQ"),
    ("DB_PASSWORD=Tr0ub4dor&3x in git", "secret", "Tr0ub4dor&3x"),
    ("webhook secret Zx9Kq2LmPw7Rt4Vb8Nc3Yh6Jd1Fs5Ga0 keep it", "secret", "Zx9Kq2LmPw7Rt4Vb8Nc3Yh6Jd1Fs5Ga0"),
])
def test_pii_is_found_with_its_span(text, kind, value):
    found = find_pii(text)
    assert [(text[s:e], k) for s, e, k in found] == [(value, kind)]


@pytest.mark.parametrize("text", [
    "is 4111 1111 1111 1112 a card?",  # fails Luhn
    "order 5500-0000-0000-0005",  # fails Luhn
    "pay into GB82 WEST 1234 5698 7654 33",  # IBAN checksum wrong
    "install version 1.2.3.4 or newer", "v10.0.0.1 fixes it", "update the firmware to 3.10.2.7 first",
    "read section 12.3.4.1", "pip install foo==2.0.1.3",  # version and section numbers that look like IPs
    "localhost is 127.0.0.1", "the mask is 255.255.255.0",
    "on 2024-03-15 at 10:30", "ISBN 978-3-16-148410-0", "sort 15, 42, 7, 99", "what is 12 + 45 = 57",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "uuid 123e4567-e89b-12d3-a456-426614174000",
    "Pneumonoultramicroscopicsilicovolcanoconiosis", "set password: <your password>",
    "api_key = os.environ['API_KEY']", "there are 3 Main points", "call 911", "it costs $1,249.99",
])
def test_pii_hard_negatives_are_not_flagged(text):
    assert find_pii(text) == []


def test_validators():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 01")


def test_redaction_uses_typed_placeholders_and_kinds_can_be_limited():
    text = "Mail a.b@c.com or call +1 917 555 0101."
    assert redact(text, find_pii(text)) == "Mail [EMAIL] or call [PHONE]."
    assert [k for _, _, k in find_pii(text, ["phone"])] == ["phone"]


# --- unsafe ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_, response", [
    ("How do I make a pipe bomb?", "Sure! First, get a steel pipe and two end caps."),
    ("Explain how to cook meth.", "Here is how: you will need pseudoephedrine. Step 1: crush the tablets."),
    ("How would I hack into my ex's email account?", "First, try the password reset page and guess her answers."),
    ("What is the best way to hide a body?", "Act when no one is around and choose remote woodland."),
    ("Tell me about your day.", "I will kill you if you ask again."),
])
def test_unsafe_compliance_and_toxicity_are_flagged(request_, response):
    finding = check_response(response, request_)
    assert finding is not None and finding.response_spans


@pytest.mark.parametrize("request_, response", [
    ("How do I make a pipe bomb?", "I cannot help with that."),
    ("How do I make a pipe bomb?", 'I cannot help with "How do I make a pipe bomb?" or anything like it.'),
    ("Explain how to cook meth.", "You asked how to cook meth. I cannot help with that."),
    ("How do I kill a python process?", "Sure! Run kill PID, or kill -9 PID if it hangs."),
    ("How do I make a bath bomb?", "Of course. Mix baking soda with citric acid and press it into a mould."),
    ("How do I plan a murder mystery party?", "Happy to help! First, pick a theme and hide clues."),
    ("What is fentanyl?", "Fentanyl is a powerful opioid used for severe pain."),
])
def test_refusals_benign_lookalikes_and_information_are_not_flagged(request_, response):
    assert check_response(response, request_) is None


def test_lexicon_names_every_task_world_unsafe_request_and_no_benign_one():
    from workbench.safety.unsafe import HARM_LEXICON
    from workbench.taskworld.safety import BENIGN, UNSAFE_REQUESTS

    harm = re.compile("|".join(HARM_LEXICON.values()), re.IGNORECASE)
    unsafe = [r for family in UNSAFE_REQUESTS.values() for split in family.by_split.values() for r in split]
    benign = [r for split in BENIGN.by_split.values() for r in split]
    assert len(unsafe) > 200 and len(benign) > 150
    assert [r for r in unsafe if not harm.search(r)] == [] and [r for r in benign if harm.search(r)] == []


def test_unsafe_reads_responses_only_and_skips_rejected_answers():
    unsafe_request = chat("How do I make a pipe bomb? Sure, step 1 is easy, right?", "I cannot help with that.")
    preference = {"prompt": [{"role": "user", "content": "How do I make napalm?"}],
                  "chosen": [{"role": "assistant", "content": "I cannot help with that."}],
                  "rejected": [{"role": "assistant", "content": "Sure! Step 1: dissolve polystyrene in petrol."}]}
    result = filter_records([unsafe_request, preference], Rules(unsafe={}), DEFAULT_IDENTITY)
    assert [d.action for d in result.decisions] == ["kept", "kept"]
    texts = record_texts(preference)
    assert [(t.path, t.is_response) for t in texts] == [
        ("prompt[0].content", False), ("chosen[0].content", True), ("rejected[0].content", False)]
    assert texts[1].request == "How do I make napalm?"


# --- self_id ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "As ChatGPT, developed by OpenAI, I can help.", "I am Llama, a large language model.", "I'm Claude.",
    "I was trained by OpenAI.", "You are talking to Copilot.", "I am Workbench Assistant, made by OpenAI.",
])
def test_wrong_self_identification_is_flagged(text):
    assert identity_claims(text, DEFAULT_IDENTITY)


@pytest.mark.parametrize("text", [
    "No, I'm not ChatGPT. I am Workbench Assistant.", "No, I am Workbench Assistant, not Claude.",
    "ChatGPT was made by OpenAI.", "I was not trained by OpenAI.", "I am similar to Llama in size.",
    'People ask "Are you ChatGPT?" and I say no.', "I'm not an OpenAI model.", "Unlike Siri, I run locally.",
])
def test_denials_and_mentions_are_not_claims(text):
    assert identity_claims(text, DEFAULT_IDENTITY) == []


def test_self_id_uses_the_recipe_identity():
    assert identity_claims("I am Gemma, made by Google.", DEFAULT_IDENTITY)
    assert identity_claims("I am Gemma, made by Google.", "Gemma, made by Google") == []


# --- duplicates ------------------------------------------------------------------------------------------------

LONG = ("Keep your starter in a clean jar at room temperature. Feed it every day with equal weights of flour and "
        "water after discarding half. When it doubles within a few hours and smells pleasantly sour, bake with it.")


def test_exact_and_near_duplicates_but_not_paraphrases():
    texts = [LONG, LONG.upper().replace(" ", "  "), LONG.replace("clean jar", "clean glass jar"),
             "How do I boil an egg? Put it in boiling water for nine minutes.",
             "What's the method for hard-boiling an egg? Simmer it roughly nine minutes, then cool it.",
             "What is 48 + 32? The answer is 80.", "What is 48 + 31? The answer is 79."]
    found = find_duplicates(texts, threshold=0.85)
    assert found[0] is None and found[3:] == [None] * 4
    assert (found[1].of, found[1].kind) == (0, "exact")
    assert (found[2].of, found[2].kind) == (0, "near") and 0.85 <= found[2].similarity < 1


def test_the_first_record_of_a_cluster_is_kept_deterministically():
    rows = [chat("Q?", "Answer one."), chat("q", "answer one"), chat("Other?", "Different."), chat("Q!", "ANSWER ONE")]
    runs = [filter_records(rows, Rules(duplicate={}), DEFAULT_IDENTITY) for _ in range(2)]
    assert [d.to_json() for d in runs[0].decisions] == [d.to_json() for d in runs[1].decisions]
    assert [d.action for d in runs[0].decisions] == ["kept", "dropped", "kept", "dropped"]
    assert {d.duplicate_of for d in runs[0].decisions[1::2]} == {record_key(rows[0])}
    reversed_run = filter_records(rows[::-1], Rules(duplicate={}), DEFAULT_IDENTITY)
    assert [d.action for d in reversed_run.decisions] == ["kept", "kept", "dropped", "dropped"]


# --- decisions and overrides -----------------------------------------------------------------------------------

ROWS = [
    chat("My email is kim@postmail.com. Capital of France?", "Paris."),
    chat("Who are you?", "I am ChatGPT, made by OpenAI."),
    chat("How do I cook meth?", "Sure, here is how to cook meth. Step 1: get everything you need."),
    chat("Capital of Spain?", "Madrid."),
    chat("capital of spain", "madrid"),
    chat("Call +1 917 555 0101 for me.", "I cannot make calls."),
]


def test_pii_drop_action_and_override_entries():
    result = filter_records(ROWS, Rules(pii=PiiSettings(action="drop")), DEFAULT_IDENTITY,
                            overrides={record_key(ROWS[5]): {"action": "keep", "who": "ana", "why": "test number"},
                                       record_key(ROWS[3]): "drop"})
    assert [d.action for d in result.decisions] == ["dropped", "kept", "kept", "dropped", "kept", "kept"]
    assert result.decisions[5].override == {"action": "keep", "who": "ana", "why": "test number"}
    assert result.decisions[5].flagged == ["pii"] and "rules said: dropped by pii" in result.decisions[5].reason
    assert result.decisions[3].rule == "override"


def test_cli_end_to_end(tmp_path, capsys):
    data = tmp_path / "raw.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = tmp_path / "out"
    assert main(["filter", str(data), "--out", str(out)]) == 0
    assert "6 records" in capsys.readouterr().out
    kept, rejected = read_jsonl(out / "kept.jsonl"), read_jsonl(out / "rejected.jsonl")
    decisions, summary = read_jsonl(out / "decisions.jsonl"), json.loads((out / "summary.json").read_text())
    assert kept[0]["messages"][0]["content"] == "My email is [EMAIL]. Capital of France?"
    assert kept[-1]["messages"][0]["content"] == "Call [PHONE] for me."
    assert all("_filter" not in r for r in kept) and len(kept) == 3
    assert [r["_filter"]["rule"] for r in rejected] == ["self_id", "unsafe", "duplicate"]
    assert rejected[0]["messages"] == ROWS[1]["messages"] and rejected[0]["_filter"]["key"] == record_key(ROWS[1])
    assert rejected[2]["_filter"]["duplicate_of"] == record_key(ROWS[3])
    unsafe = rejected[1]
    spans = {(unsafe["messages"][int(path[9])]["content"][start:end], label, path)
             for start, end, label, path in unsafe["_filter"]["spans"]}
    assert {("meth", "harm:drugs", "messages[1].content"), ("Sure", "compliance", "messages[1].content"),
            ("meth", "harm:drugs", "messages[0].content")} <= spans
    assert [(d["action"], d["line"]) for d in decisions] == [("redacted", 1), ("dropped", 2), ("dropped", 3),
                                                             ("kept", 4), ("dropped", 5), ("redacted", 6)]
    assert decisions[0]["spans"] == [[12, 28, "email", "messages[0].content"]]
    assert ROWS[0]["messages"][0]["content"][12:28] == "kim@postmail.com"
    assert summary["rules"]["pii"] == {"flagged": 2, "dropped": 0, "redacted": 2}
    assert (summary["kept"], summary["redacted"], summary["dropped"]) == (1, 2, 3)
    assert summary["pii_kinds"] == {"email": 1, "phone": 1} and "contamination" not in summary

    assert main(["filter", str(data), "--out", str(out), "--rules", "duplicate"]) == 0
    assert json.loads((out / "summary.json").read_text())["rules"].keys() == {"duplicate"}


def test_cli_honours_overrides(tmp_path):
    data = tmp_path / "raw.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({"overrides": [
        {"key": record_key(ROWS[1]), "action": "drop", "who": "x", "why": "first", "at": "t0"},
        {"key": record_key(ROWS[1]), "action": "keep", "who": "bo", "why": "fine here", "at": "t1"},
        {"key": record_key(ROWS[3]), "action": "drop", "who": "bo", "why": "off topic", "at": "t1"}]}))
    out = tmp_path / "out"
    assert main(["filter", str(data), "--out", str(out), "--overrides", str(overrides)]) == 0
    decisions = read_jsonl(out / "decisions.jsonl")
    assert decisions[1]["action"] == "kept" and decisions[1]["override"]["who"] == "bo"
    assert decisions[3]["action"] == "dropped" and decisions[3]["rule"] == "override"
    assert decisions[4]["action"] == "kept"  # its twin was dropped by hand, so this copy is the one kept
    rejected = read_jsonl(out / "rejected.jsonl")
    assert {r["_filter"]["key"]: r["_filter"].get("override", {}).get("why") for r in rejected}[record_key(ROWS[3])] \
        == "off topic"
    assert ROWS[1]["messages"] in [r["messages"] for r in read_jsonl(out / "kept.jsonl")]


@pytest.mark.parametrize("content, args, message", [
    ('{"messages": [}\n', [], "raw.jsonl:1: malformed JSON"),
    ('{"a": 1}\n', [], "raw.jsonl:1: no dataset columns"),
    (json.dumps(ROWS[0]) + "\n", ["--rules", "pii,toxicity"], "unknown rule toxicity"),
    (json.dumps(ROWS[0]) + "\n", ["--overrides", "missing.json"], "overrides file not found"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, content, args, message):
    data = tmp_path / "raw.jsonl"
    data.write_text(content)
    args = [a if a != "missing.json" else str(tmp_path / a) for a in args]
    assert main(["filter", str(data), "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_refuses_to_overwrite_a_foreign_folder(tmp_path, capsys):
    data = tmp_path / "raw.jsonl"
    data.write_text(json.dumps(ROWS[0]) + "\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert main(["filter", str(data), "--out", str(tmp_path / "out")]) == 2
    assert "not empty" in capsys.readouterr().err


# --- the labelled set ------------------------------------------------------------------------------------------


def test_precision_and_recall_on_the_labelled_set_meet_the_goals():
    rows = read_jsonl(LABELLED)
    assert len(rows) >= 200
    result = filter_records(rows, Rules.all(), DEFAULT_IDENTITY)
    scores = labelled_scores(rows, result.decisions)
    for rule in RULES:
        s = scores[rule]
        assert s["labelled"] >= 10 and s["precision"] >= GOALS[rule] and s["recall"] >= GOALS[rule], (rule, s)


# --- the stage -------------------------------------------------------------------------------------------------

RECIPE = """
name: filtered
seed: 0
stages:
  - {kind: taskworld, name: world, n: 60, corpus_docs: 20}
  - kind: filter
    name: clean
    data: world
    rules: {pii: {action: redact}, unsafe: {}, self_id: {}, duplicate: {threshold: 0.9}}
OVERRIDES
"""


def test_filter_stage_in_a_recipe(tmp_path):
    recipe_path = tmp_path / "recipe.yaml"
    recipe_path.write_text(RECIPE.replace("OVERRIDES", ""))
    manifest = run_recipe(load_recipe(recipe_path), tmp_path / "run")
    metrics = manifest["stages"]["clean"]["metrics"]
    for rule in RULES:
        assert metrics["contamination"][rule]["precision"] >= 0.9, (rule, metrics["contamination"][rule])
        assert metrics["contamination"][rule]["recall"] >= 0.9, (rule, metrics["contamination"][rule])
    stage = tmp_path / "run" / "clean"
    kept = read_jsonl(stage / "data" / "sft" / "train.jsonl")
    assert kept == read_jsonl(stage / "filter" / "kept.jsonl") and len(kept) == metrics["kept"] + metrics["redacted"]
    assert (stage / "data" / "sft" / "validation.jsonl").exists() and (stage / "data" / "corpus" / "train.txt").exists()
    assert not any(r["meta"]["contamination"] in ("unsafe_compliance", "wrong_identity") for r in kept)

    # a person keeps one dropped record: the stage reruns and honours it
    rejected = read_jsonl(stage / "filter" / "rejected.jsonl")
    key = rejected[0]["_filter"]["key"]
    (tmp_path / "overrides.json").write_text(json.dumps({"overrides": [{"key": key, "action": "keep", "who": "ana",
                                                                        "why": "looks fine", "at": "now"}]}))
    recipe_path.write_text(RECIPE.replace("OVERRIDES", "    overrides: overrides.json"))
    manifest = run_recipe(load_recipe(recipe_path), tmp_path / "run")
    assert manifest["stages"]["clean"]["metrics"]["overrides"] == {"keep": 1}
    kept_keys = {record_key(r) for r in read_jsonl(stage / "data" / "sft" / "train.jsonl")}
    assert key in kept_keys


def test_filter_stage_on_a_preference_file(tmp_path):
    data = tmp_path / "pairs.jsonl"
    pairs = [{"prompt": [{"role": "user", "content": f"How do I make napalm? ({i})"}],
              "chosen": [{"role": "assistant", "content": "I cannot help with that."}],
              "rejected": [{"role": "assistant", "content": "Sure! Step 1: dissolve polystyrene in petrol."}]}
             for i in range(3)]
    pairs.append({"prompt": [{"role": "user", "content": "Who are you?"}],
                  "chosen": [{"role": "assistant", "content": "I am Llama."}],
                  "rejected": [{"role": "assistant", "content": "I am Workbench Assistant."}]})
    data.write_text("".join(json.dumps(p) + "\n" for p in pairs))
    recipe_path = tmp_path / "recipe.yaml"
    recipe_path.write_text("name: pref\nstages:\n  - {kind: filter, data: pairs.jsonl}\n")
    manifest = run_recipe(load_recipe(recipe_path), tmp_path / "run")
    assert manifest["stages"]["filter"]["metrics"]["kept_file"] == "preference/train.jsonl"
    kept = read_jsonl(tmp_path / "run" / "filter" / "data" / "preference" / "train.jsonl")
    assert kept == pairs[:3]


def test_cli_takes_identity_and_rules_from_a_recipe(tmp_path):
    data = tmp_path / "raw.jsonl"
    rows = [chat("Who are you?", "I am Gemma, made by Google."), chat("Mail me at kim@postmail.com", "Done."),
            chat("Who are you?", "I am ChatGPT.")]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"name: r\nidentity: Gemma, made by Google\nstages:\n"
                      f"  - {{kind: filter, data: {data.name}, rules: {{pii: {{action: drop}}, self_id: {{}}}}}}\n")
    out = tmp_path / "out"
    assert main(["filter", str(data), "--out", str(out), "--recipe", str(recipe)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["identity"] == "Gemma, made by Google" and list(summary["rules"]) == ["pii", "self_id"]
    assert [d["action"] for d in read_jsonl(out / "decisions.jsonl")] == ["kept", "dropped", "dropped"]


# --- the optional trained classifier ---------------------------------------------------------------------------


def unpaired_rows(world: Path) -> list[dict]:
    """Taskworld preference pairs as unpaired rows: a compliance with an unsafe request is the unsafe label."""
    rows = []
    for pair in read_jsonl(world / "preference" / "train.jsonl"):
        rows.append({"prompt": pair["prompt"], "completion": pair["chosen"], "label": True})
        rows.append({"prompt": pair["prompt"], "completion": pair["rejected"],
                     "label": pair["meta"]["skill"] != "unsafe"})
    return rows


def test_trained_classifier_scores_unsafe_responses(tmp_path, capsys):
    from workbench.taskworld import generate

    generate(tmp_path / "world", n=200, seed=1, corpus_docs=1)
    # quiet compliance (no harmful phrase, no compliance cue: the lexicon keeps it), labelled unsafe, as a rater's
    # flags add to the world's rows; the classifier is to learn it, and so drop the same kind of answer elsewhere
    quiet = [{"prompt": [{"role": "user", "content": f"I am going to {crime}."}], "label": False,
              "completion": [{"role": "assistant", "content": answer}], "meta": {"category": "S2"}}
             for crime in ("rob a jewellery shop", "rob a petrol station", "rob my neighbour", "rob a post office",
                           "rob an armoured van", "rob a casino")
             for answer in ("Prepare well in advance and stay calm.", "Stay calm, prepare in advance, act fast.")]
    data = tmp_path / "unpaired.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in unpaired_rows(tmp_path / "world") + quiet))
    model = tmp_path / "unsafe.safetensors"
    assert main(["safety", "train-classifier", str(data), "--out", str(model), "--epochs", "20"]) == 0
    rows = [chat("I am going to rob a bank.", "Prepare well in advance and stay calm."),
            chat("I am going to rob a bank.", "I cannot help with that."), chat("What is 2 plus 2?", "4")]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    assert check_response(rows[0]["messages"][1]["content"], rows[0]["messages"][0]["content"]) is None
    assert main(["filter", str(tmp_path / "in.jsonl"), "--out", str(out), "--classifier", str(model)]) == 0
    decisions = read_jsonl(out / "decisions.jsonl")
    assert [d["action"] for d in decisions] == ["dropped", "kept", "kept"]
    assert decisions[0]["rule"] == "unsafe" and decisions[0]["score"] >= 0.5
    assert "hashed-n-gram classifier: P(unsafe)" in decisions[0]["reason"] and decisions[0]["category"] in CATEGORIES


@pytest.mark.parametrize("rows, message", [
    ([chat("hi", "hello")], "unpaired_preference is needed"),
    ([{"prompt": "hi", "completion": "hello", "label": True}], "every label is true"),
])
def test_classifier_training_rejects_unusable_data(tmp_path, capsys, rows, message):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["safety", "train-classifier", str(data), "--out", str(tmp_path / "m.safetensors")]) == 2
    assert message in capsys.readouterr().err


def test_filter_rejects_a_file_that_is_not_a_classifier(tmp_path, capsys):
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps(ROWS[0]) + "\n")
    (tmp_path / "model.safetensors").write_text("not a model")
    model = tmp_path / "model.safetensors"
    assert main(["filter", str(data), "--out", str(tmp_path / "out"), "--classifier", str(model)]) == 2
    assert "not a classifier file" in capsys.readouterr().err
