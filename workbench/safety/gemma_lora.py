"""LoRA for the `unsafe` rule's Gemma head: the decoder layers below the head's layer are adapted together with it.

The frozen-feature head (`gemma_classifier`) reads layer 8 of a Gemma 3 270M that never saw the task; on the blind
held-out sets it flagged half of the benign look-alikes at the recall the threshold rule asks for (docs/safety.md).
`adapt` starts from such a head (fitted on the frozen features of the same rows) and trains it with LoRA adapters on
every projection of decoder layers 1..layer (the model cut after the head's layer: the 10 layers above it never run)
for one pass over the examples, with the head's own loss: the 15-way softmax of `fit_head`, safe and unsafe examples
weighing the same in total. The adapters are saved in the head's file and merged into the model when it is loaded
(`GemmaEncoder.adapted`), so scoring costs what the frozen head costs. A head that already has adapters (`train-classifier
--start-from`) starts from them and its linear head: another pass, on the same examples or on new ones.

Why a loop of our own: peft provides the adapters (`get_peft_model`); no TRL or transformers trainer trains a
classifier on pooled states of a cut model with a per-category softmax whose "unsafe, category unknown" rows only
push P(safe) down (TRL's RewardTrainer is pairwise, transformers' sequence-classification heads read one token).
Settings (one try, chosen before it ran, docs/safety.md): rank 8, alpha 16, no dropout, AdamW at 2e-4 for the
adapters and 1e-4 for the head, linear decay to 0, batches of 16 examples of similar length, float32.
"""

from __future__ import annotations

import random
import sys
import time

from workbench.safety.gemma_classifier import (LORA_TARGETS, MODEL, GemmaClassifier, GemmaEncoder, LabelledSet,
                                               cut_after, feature_dtype, head_loss)

RANK = 8
ALPHA = 16
LR = 2e-4
HEAD_LR = 1e-4
BATCH = 16
MERGE_TOLERANCE = 1e-3  # in P(unsafe)


def _pooled(model, encoder: GemmaEncoder, pairs: list[tuple[str, str]], pooling: str):
    """The head's input for a batch of (response, request) pairs, with gradients: layer `layer`'s states (the cut
    model's last), mean over the response's tokens and / or at the final `<end_of_turn>`."""
    import torch

    ids, mask, response = encoder.batch([encoder._ids(r, q) for r, q in pairs])
    state = model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
    return torch.cat([encoder.pool(state, mask, response, p) for p in pooling.split("+")], dim=1)


def _start_from_adapters(model, head: GemmaClassifier) -> None:
    """Copy `head`'s saved adapters into `model`'s fresh ones (same rank, the same modules), so training goes on from
    them."""
    import torch

    if head.lora.get("rank") != RANK:
        raise ValueError(f"the head to start from has LoRA rank {head.lora.get('rank')}; this trainer's is {RANK}")
    loaded = set()
    for name, module in model.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            plain = name.split("base_model.model.", 1)[-1]
            with torch.no_grad():
                for part, layer in (("A", module.lora_A["default"]), ("B", module.lora_B["default"])):
                    key = f"lora.{plain}.{part}"
                    if key in head.lora_tensors:  # a module the head did not adapt keeps B = 0: no change
                        layer.weight.copy_(torch.from_numpy(head.lora_tensors[key]))
                        loaded.add(key)
    if loaded != set(head.lora_tensors):
        raise ValueError(f"the head to start from has adapters this model has no place for: "
                         f"{sorted(set(head.lora_tensors) - loaded)[:3]}")


def adapt(head: GemmaClassifier, sets: list[LabelledSet], seed: int = 0, fraction: float = 1.0) -> GemmaClassifier:
    """`head` (fitted on the frozen features of `sets`' examples, or a LoRA head to train further) and LoRA adapters
    on the layers below it (zero-initialised, or the head's own), trained together on those examples (all of them,
    or a seeded random `fraction` of them drawn across every set: a shorter pass); returns a new classifier with the
    head's threshold, to be saved or scored."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel

    from workbench.models.loading import load_model
    from workbench.models.spec import ModelSpec

    pairs = [p for s in sets for p in s.pairs]
    targets = [t for s in sets for t in s.targets]
    if len(pairs) != len(targets):
        raise ValueError("adapt needs the labelled sets' example pairs (labelled_set fills them)")
    torch.manual_seed(seed)
    model, tokenizer = load_model(ModelSpec(pretrained=MODEL), model_class=AutoModel, dtype="float32")
    cut_after(model, head.layer)
    model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0,
                                             target_modules=list(LORA_TARGETS)))
    if head.lora_tensors:
        _start_from_adapters(model, head)
    encoder = GemmaEncoder(model, tokenizer)
    mean, scale = torch.tensor(head.mean), torch.tensor(head.scale)
    linear = torch.nn.Linear(mean.numel(), len(head.bias))
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(head.weight))
        linear.bias.copy_(torch.tensor(head.bias))

    # batches of similar length (less padding), in a seeded order
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    order = order[:max(1, round(len(order) * fraction))]
    size = lambda i: len(pairs[i][0]) + len(pairs[i][1])
    batches = [chunk[i:i + BATCH] for start in range(0, len(order), 16 * BATCH)
               for chunk in [sorted(order[start:start + 16 * BATCH], key=size)]
               for i in range(0, len(chunk), BATCH)]
    random.Random(seed + 1).shuffle(batches)

    target = torch.tensor(targets)
    unsafe = int((target != 0).sum())
    row_weight = torch.where(target != 0, 0.5 / max(unsafe, 1), 0.5 / max(len(targets) - unsafe, 1))
    optimizer = torch.optim.AdamW([{"params": [p for p in model.parameters() if p.requires_grad], "lr": LR},
                                   {"params": list(linear.parameters()), "lr": HEAD_LR}], weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / len(batches))
    model.train()
    started, running = time.perf_counter(), None
    for step, batch in enumerate(batches, 1):
        log_probs = torch.log_softmax(linear((_pooled(model, encoder, [pairs[i] for i in batch], head.pooling)
                                              - mean) / scale), dim=1)
        # a batch's weights sum to about 1, as fit_head's do over all rows
        loss = head_loss(log_probs, target[batch], row_weight[batch] * len(targets) / len(batch))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        elapsed = time.perf_counter() - started
        print(f"\r  LoRA step {step}/{len(batches)}  loss {running:.4f}  {elapsed:.0f} s, "
              f"ETA {elapsed / step * (len(batches) - step):.0f} s ", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    tensors = {}
    for name, module in model.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            plain = name.split("base_model.model.", 1)[-1]
            tensors[f"lora.{plain}.A"] = module.lora_A["default"].weight.detach().numpy().copy()
            tensors[f"lora.{plain}.B"] = module.lora_B["default"].weight.detach().numpy().copy()
    adapted = GemmaClassifier(linear.weight.detach().numpy().copy(), linear.bias.detach().numpy().copy(), head.mean,
                              head.scale, head.layer, head.pooling, head.threshold, dict(head.info),
                              lora={"rank": RANK, "alpha": float(ALPHA), "targets": list(LORA_TARGETS)},
                              lora_tensors=tensors)
    # What is saved must score as what was trained: the adapters merged into the weights (as on load) against the
    # trained model with its adapters apart, on a batch of the examples.
    model.eval()
    probe = pairs[:BATCH]
    with torch.no_grad():
        trained = torch.softmax(linear((_pooled(model, encoder, probe, head.pooling) - mean) / scale), dim=1)
    difference = float(abs(1 - trained[:, 0].numpy() - adapted.scores(probe)).max())
    if difference > MERGE_TOLERANCE:  # a bug in the merge, or features in a coarser dtype than training's float32
        print(f"warning: the LoRA head's merged adapters score up to {difference:.2g} away from the trained model "
              f"(features in {feature_dtype()})", file=sys.stderr)
    adapted.info["merge_check"] = {"examples": len(probe), "largest_difference": difference}
    adapted.info["lora_pass"] = {"examples": len(order), "of": len(pairs), "steps": len(batches)}
    return adapted
