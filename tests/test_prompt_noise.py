"""Prompt noise (`workbench.prompt_noise`): changed copies of training prompts, deterministic, made of the prompts' own
words, only in the last user turn, for prompts, chats (the question before the answer) and plain strings alike."""

from __future__ import annotations

from workbench.prompt_noise import with_noised_copies


def test_noised_copies_change_only_the_last_user_turn_with_the_prompts_own_words():
    rows = [{"prompt": [{"role": "user", "content": f"how do I sort {i} numbers quickly"},
                        {"role": "assistant", "content": "like this"},
                        {"role": "user", "content": f"and what about {i} towns in order"}], "meta": {"id": i}}
            for i in range(50)]
    assert with_noised_copies(rows, 0.0, seed=0) is rows
    out = with_noised_copies(rows, 0.4, seed=0)
    assert out == with_noised_copies(rows, 0.4, seed=0) != with_noised_copies(rows, 0.4, seed=1)
    assert out[:50] == rows and 45 <= len(out) - 50 <= 50  # the originals untouched, then one changed copy each
    vocabulary = {w for r in rows for w in r["prompt"][2]["content"].split()}
    for copy in out[50:]:
        original = rows[copy["meta"]["id"]]
        assert copy["prompt"][:2] == original["prompt"][:2] and copy["prompt"][2] != original["prompt"][2]
        assert set(copy["prompt"][2]["content"].split()) <= vocabulary
    changed = sum(a != b for c in out[50:] for a, b in zip(c["prompt"][2]["content"].split(),
                                                           rows[c["meta"]["id"]]["prompt"][2]["content"].split()))
    assert changed > 0


def test_string_prompts_get_copies_and_rows_without_a_user_turn_get_none():
    rows = [{"prompt": f"please list the {i} largest towns in the north", "meta": {"check": "refusal"}} for i in range(20)]
    rows.append({"prompt": [{"role": "system", "content": "be brief"}], "meta": None})
    out = with_noised_copies(rows, 0.5, seed=3)
    copies = out[len(rows):]
    assert out[:len(rows)] == rows and 15 <= len(copies) <= 20
    assert all(isinstance(c["prompt"], str) and c["meta"] == {"check": "refusal"} for c in copies)


def test_chats_reword_the_question_before_the_answer_and_keep_the_answer():
    rows = [{"messages": [{"role": "user", "content": f"what is the capital of region {i} in the east"},
                          {"role": "assistant", "content": f"answer {i}"}]} for i in range(20)] + [{"text": "plain"}]
    out = with_noised_copies(rows, 0.4, seed=0, key="messages")
    copies = out[len(rows):]
    assert out[:len(rows)] == rows and 15 <= len(copies) <= 20  # the plain-text row has no question: no copy
    for copy in copies:
        assert copy["messages"][1]["content"].startswith("answer ") and copy["messages"][0]["role"] == "user"
        assert copy["messages"][0]["content"] not in {r["messages"][0]["content"] for r in rows[:20]}
