"""peft's trainable token rows (the `sft` stage's `train_turn_tokens`: the `<start_of_turn>` / `<end_of_turn>` rows a
pretrained base never learnt) without building the merged matrix on every forward pass.

peft 0.21's `TrainableTokensLayer` computes `base.weight.index_copy(rows, trained rows)`, a copy of the whole matrix
(262k x 640 floats for Gemma 3 270M), in every forward pass of the embedding and of the tied output layer, and
autograd then forms a dense gradient for that copy (a matmul as large as the output layer's, and a zeroed matrix the
size of the embedding) only to keep the gradient of two rows. On Gemma 3 270M a LoRA SFT step with the rows took
8.9 s against 5.5 s without them (one thread, batch 8 x 81 tokens); with `lean_trainable_tokens` 6.2 s.
`lean_trainable_tokens(model)` gives each such layer a forward pass that computes the same values from the frozen
matrix and the trained rows: the embedding looks up the frozen rows and puts a trained row wherever the token is one
of them; the output layer multiplies by the frozen matrix and writes the trained rows' logits into their columns.
Gradients are the same up to the order of a sum.

Why ours: peft has no such option, and the loss (`trl_private.lean_sft_trainer`) cannot avoid the layer, whose
forward pass is where the copy happens. Merging, saving and `workbench.decoding` (which reads the merged rows once)
are peft's, unchanged. Where a layer is not what this was written for (several active adapters, merged or disabled
adapters, an embedding with max_norm, sparse or frequency-scaled gradients, an output layer with a bias, a peft
without these attributes), peft's own forward pass runs.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F

_PARTS = ("base_layer", "token_indices", "trainable_tokens_delta", "disable_adapters", "merged", "_get_embed_scale")


def lean_trainable_tokens(model) -> int:
    """Give every peft trainable-tokens layer of `model` the lean forward pass (in place); returns how many."""
    try:
        from peft.tuners.trainable_tokens.layer import TrainableTokensLayer
    except ImportError:
        return 0
    count = 0
    for module in model.modules():
        if isinstance(module, TrainableTokensLayer) and all(hasattr(module, part) for part in _PARTS):
            module.forward_adapters = types.MethodType(_forward_adapters, module)
            count += 1
    return count


def _forward_adapters(self, x: torch.Tensor, active_adapters, *args, **kwargs) -> torch.Tensor:
    from peft.tuners.trainable_tokens.layer import TrainableTokensLayer

    base = self.base_layer
    plain = not (self.disable_adapters or self.merged or len(active_adapters) != 1 or args or kwargs)
    if plain and isinstance(base, torch.nn.Embedding) and base.max_norm is None and not base.sparse \
            and not base.scale_grad_by_freq:
        index = torch.tensor(self.token_indices[active_adapters[0]], device=x.device)
        rows = self.trainable_tokens_delta[active_adapters[0]]
        result = F.embedding(x, base.weight, padding_idx=base.padding_idx)
        hit = torch.isin(x, index)
        which = (x[hit].unsqueeze(-1) == index).int().argmax(-1)  # the trained row of each such token
        result = result.index_put((hit,), rows.to(result.dtype)[which])
        scale = self._get_embed_scale()  # e.g. Gemma 3's scaled embedding, applied in its own forward pass
        return result if scale is None else result * scale.to(result.dtype)
    if plain and isinstance(base, torch.nn.Linear) and base.bias is None:
        index = torch.tensor(self.token_indices[active_adapters[0]], device=x.device)
        rows = self.trainable_tokens_delta[active_adapters[0]]
        result = F.linear(x, base.weight)
        return result.index_copy_(-1, index, F.linear(x, rows.to(x.dtype)))
    return TrainableTokensLayer.forward_adapters(self, x, active_adapters, *args, **kwargs)
