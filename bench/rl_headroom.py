"""How far an RLHF step on its own samples can move a policy's greedy answers, on a task-world run's test split.

    python -m bench.rl_headroom --run-dir RUN [--model student_distill] [--samples 8] [--limit 1000]

A policy-gradient step (RLOO, GRPO) raises the probability of the answers it sampled that scored well. Where the
greedy answer is wrong and none of `--samples` answers sampled at the RLHF stage's temperature is right, the step has
nothing to raise; where greedy is already right it can only lose. So the share of items whose greedy answer is wrong
while one of k samples is right is an upper bound, for a step that explores about as much, on what it can add to greedy
accuracy. Printed per skill and for all items: n, greedy accuracy, pass@k, and that share ("room", in points of all
items). The items are the evaluate stage's: the first `--limit` prompts of the world's test split, judged by the
world's verifiers. Greedy answers and samples come from `workbench.generation.answer_prompts` (sampling seed
`--seed`), at most `--max-new-tokens` tokens, as the recipes' RLHF and evaluate stages use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path


def headroom(model_dir: Path, prompts_file: Path, samples: int, limit: int, temperature: float, max_new_tokens: int,
             seed: int) -> dict[str, dict]:
    """Per skill (and "all"): n, greedy accuracy, pass@k and room (greedy wrong, a sample right), as shares."""
    from workbench.generation import GenerationSettings, answer_prompts
    from workbench.models import load_model

    rows = read_prompts(prompts_file, limit)
    model, tokenizer = load_model(model_dir, tokenizer=model_dir)
    prompts = [r["prompt"] for r in rows]
    greedy = answer_prompts(model, tokenizer, prompts,
                            GenerationSettings(do_sample=False, max_new_tokens=max_new_tokens, batch_size=64))
    sampled = answer_prompts(model, tokenizer, prompts,
                             GenerationSettings(do_sample=True, temperature=temperature, max_new_tokens=max_new_tokens,
                                                num_return_sequences=samples, batch_size=16), seed=seed)
    return tally(rows, [a.text for a in greedy], [a.text for a in sampled], samples)


def read_prompts(path: Path, limit: int) -> list[dict]:
    """The first `limit` task-world prompt rows of `path`; a row without a prompt or a verifiable `meta` is refused."""
    from workbench.errors import WorkbenchError

    rows, number = [], 0
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if len(rows) == limit:
                    break
                row = json.loads(line)
                meta = row.get("meta") if isinstance(row, dict) else None
                if not (isinstance(meta, dict) and {"skill", "check"} <= set(meta) and isinstance(row["prompt"], list)):
                    raise ValueError("not a task-world prompt row (prompt, meta.skill, meta.check)")
                rows.append(row)
    except (OSError, ValueError, KeyError) as e:
        where = f"{path}:{number}" if number else str(path)
        raise WorkbenchError(f"{where}: {e}; give --run-dir a task-world run's seed folder") from None
    return rows


def tally(rows: list[dict], greedy: list[str], sampled: list[str], samples: int) -> dict[str, dict]:
    """`headroom`'s table from the answers: `sampled` holds `samples` answers per row, row by row."""
    from workbench.taskworld import verify

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, greedy right, any right, room
    for i, row in enumerate(rows):
        right = verify(row["meta"], greedy[i])
        any_sample = any(verify(row["meta"], text) for text in sampled[i * samples:(i + 1) * samples])
        for key in (row["meta"]["skill"], "all"):
            c = counts[key]
            c[0] += 1
            c[1] += right
            c[2] += right or any_sample
            c[3] += (not right) and any_sample
    return {key: {"n": n, "greedy": g / n, "pass_at_k": p / n, "room": r / n, "room_items": r}
            for key, (n, g, p, r) in counts.items()}


def positive(kind):
    """An argparse type: a number of `kind` above 0 (argparse reports anything else in one line, exit 2)."""
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise ValueError(text)
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def main(argv: list[str] | None = None) -> int:
    from workbench.errors import WorkbenchError

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", type=Path, required=True, help="a finished task-world run (one seed's folder)")
    parser.add_argument("--model", default="student_distill", help="the stage whose model/ to probe")
    parser.add_argument("--world", default="world", help="the taskworld stage")
    parser.add_argument("--samples", type=positive(int), default=8, help="answers sampled per prompt (k)")
    parser.add_argument("--limit", type=positive(int), default=1000,
                        help="the first N test prompts (the evaluate stage's limit)")
    parser.add_argument("--temperature", type=positive(float), default=1.0,
                        help="sampling temperature (the rlhf stage's)")
    parser.add_argument("--max-new-tokens", type=positive(int), default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    model_dir = args.run_dir / args.model / "model"
    prompts_file = args.run_dir / args.world / "data" / "prompts" / "test.jsonl"
    for path in (model_dir, prompts_file):
        if not path.exists():
            print(f"bench.rl_headroom: {path} not found; give --run-dir a finished task-world run's seed folder",
                  file=sys.stderr)
            return 2
    try:
        table = headroom(model_dir, prompts_file, args.samples, args.limit, args.temperature, args.max_new_tokens,
                         args.seed)
    except WorkbenchError as e:
        print(f"bench.rl_headroom: {e}", file=sys.stderr)
        return 2
    print(f"{args.model} in {args.run_dir}, {args.samples} samples at T={args.temperature}")
    print(f"{'skill':10s} {'n':>5s} {'greedy':>7s} {'pass@k':>7s} {'room':>6s}")
    for key in sorted(table, key=lambda k: (k == "all", k)):
        t = table[key]
        print(f"{key:10s} {t['n']:5d} {100 * t['greedy']:6.1f}% {100 * t['pass_at_k']:6.1f}% "
              f"{100 * t['room']:5.1f}% ({t['room_items']} items)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
