"""Fast batched decoding for Gemma 2 and Gemma 3 text models, plain or PEFT-wrapped: a KV-cached sampling loop in
plain torch.

Written here because no well-kept library does this job on a CPU: transformers' `generate` spends most of each
token's time on per-step machinery (logits processors, stopping criteria, cache objects, attention-mask builders,
output capture) — for the tiny CPU presets several times the model's own arithmetic — and TRL's only faster path is
vLLM (GPU-only). `sample` computes what `Gemma2ForCausalLM` computes, from the model's own weights and its
embedding, rotary and activation modules: RMSNorm with (1 + weight) in float32, query pre-attention scaling,
attention soft-cap, grouped-query heads, sliding-window layers, final-logit soft-cap. It allocates the key/value
cache, positions, rotary angles and masks once per batch, does q/k/v and the MLP's gate/up as one product each, and
samples as `generate` does (temperature, then top-k, then top-p, then one `torch.multinomial` draw per step from the
global or given generator; greedy is argmax), stopping each row at its first stop token and the batch when every row
has stopped. The tests hold it to `generate`'s tokens, greedy and sampled, and to the model's logits.

`supports(model)` says when it applies (a Gemma 2 or Gemma 3 text causal LM, plain LoRA or trainable-token adapters
only, no attention dropout); callers fall back to `generate` otherwise: `workbench.generation.generate_responses`
(the `generate` stage, evaluation, the UI), and `workbench.trl_private.FastGeneration`, a mixin for the TRL trainers
whose generation step turns prompt ids into completion ids (the `distill` stage's DistillationTrainer, the `rlhf`
stage's RLOOTrainer).
"""

from __future__ import annotations

import inspect

import torch


def supports(model) -> bool:
    """Whether `sample` can decode `model`: a Gemma 2 or Gemma 3 text causal LM (the presets, a model folder, a
    converted .gguf), plain or PEFT-wrapped, whose projections are linear layers or plain LoRA layers (not DoRA, not
    quantized: those go through `generate`), without attention dropout or bidirectional attention."""
    from transformers import Gemma2ForCausalLM, Gemma3ForCausalLM

    causal = _causal_lm(model)
    if not isinstance(causal, (Gemma2ForCausalLM, Gemma3ForCausalLM)) or causal.config.attention_dropout:
        return False
    if getattr(causal.config, "use_bidirectional_attention", False):
        return False
    projections = [m for layer in causal.model.layers for m in (
        layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj, layer.self_attn.o_proj,
        layer.mlp.gate_proj, layer.mlp.up_proj, layer.mlp.down_proj)]
    return (all(_weight(m) is not None for m in projections)
            and all(_token_rows(m) is not None for m in (causal.model.embed_tokens, causal.lm_head)))


def _causal_lm(model):
    """The transformers model inside a PEFT wrapper (the model itself otherwise)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _weight(module):
    """The weight `module` multiplies by, for the batch: a plain linear layer's, or a LoRA layer's base weight plus
    its active adapters' deltas; None for anything else (DoRA, quantized layers, biases, other adapters)."""
    if type(module) is torch.nn.Linear:
        return module.weight if module.bias is None else None
    from peft.tuners.lora import Linear as LoraLinear

    if type(module) is not LoraLinear or type(module.base_layer) is not torch.nn.Linear:
        return None
    if module.base_layer.bias is not None or any(module.use_dora.get(a) for a in module.active_adapters):
        return None
    weight = module.base_layer.weight
    if module.disable_adapters or module.merged:
        return weight
    for adapter in module.active_adapters:
        if adapter in module.lora_A:
            weight = weight + module.get_delta_weight(adapter).to(weight.dtype)
    return weight


def _token_rows(module):
    """The embedding / output matrix of a plain module or of peft's trainable-tokens wrapper (base rows with the
    active adapters' trained rows in place); None for anything else."""
    if type(module) is torch.nn.Linear or isinstance(module, torch.nn.Embedding):
        return module.weight
    from peft.utils.other import TrainableTokensWrapper

    if not isinstance(module, TrainableTokensWrapper):
        return None
    adapter = module.token_adapter
    if adapter.disable_adapters or adapter.merged or not adapter.active_adapters:
        return adapter.base_layer.weight
    return adapter.get_merged_weights(adapter.active_adapters)


@torch.no_grad()
def sample(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int, stop_ids: list[int],
           pad_id: int, *, do_sample: bool = True, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """The answers to left-padded prompts `input_ids` (B, P): new token ids (B, T), T <= `max_new_tokens`, each row
    cut after its first stop token and padded with `pad_id`; T stops growing once every row has stopped."""
    decoder = _Decoder(model, input_ids, attention_mask, max_new_tokens)
    logits = decoder.prefill(input_ids)
    step = _CudaGraphStep(decoder) if input_ids.is_cuda else decoder.step
    stops = torch.tensor(stop_ids, device=input_ids.device)
    finished = torch.zeros(input_ids.size(0), dtype=torch.bool, device=input_ids.device)
    out = []
    for t in range(max_new_tokens):
        token = _next_token(logits, do_sample, temperature, top_k, top_p, generator)
        token = torch.where(finished, torch.full_like(token, pad_id), token)
        out.append(token)
        finished |= torch.isin(token, stops)
        if t == max_new_tokens - 1 or bool(finished.all()):
            break
        logits = step(token, input_ids.size(1) + t)
    return torch.stack(out, dim=1)


def left_pad(rows: list[list[int]], pad_id: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id rows as (input_ids, attention_mask), padded on the left so that answers start together."""
    width = max(map(len, rows))
    input_ids = torch.tensor([[pad_id] * (width - len(row)) + list(row) for row in rows], device=device)
    mask = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in rows], device=device)
    return input_ids, mask


def cut_after_stop(rows: list[list[int]], stop_ids) -> list[list[int]]:
    """Each row up to and including its first stop token (all of it if it has none)."""
    stops = set(stop_ids)
    return [row[: next((i + 1 for i, t in enumerate(row) if t in stops), len(row))] for row in rows]


def _next_token(logits, do_sample: bool, temperature: float, top_k: int, top_p: float, generator):
    """`generate`'s choice from float32 logits (B, V): argmax, or a draw after its temperature, top-k, top-p warpers."""
    logits = logits.float()
    if not do_sample:
        return logits.argmax(-1)
    if temperature != 1.0:
        logits = logits / temperature
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        ordered, index = torch.sort(logits, descending=False)
        drop = ordered.softmax(-1).cumsum(-1) <= 1 - top_p
        drop[:, -1] = False  # keep at least the most likely token
        logits = logits.masked_fill(drop.scatter(1, index, drop), float("-inf"))
    return torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(1)


class _Decoder:
    """Gemma 2's / Gemma 3's forward over a key/value cache of L = P + `new` slots, allocated once for prompts (B, P).

    `prefill` runs the prompts through slots 0 … P-1; `step` runs one token per row at a later slot, with shapes that
    do not depend on the slot (attention spans all L slots, the ones not yet written masked), so that on a GPU one
    step can be captured as a CUDA graph and replayed (`_CudaGraphStep`)."""

    def __init__(self, model, input_ids, attention_mask, new: int):
        from transformers.models.gemma2.modeling_gemma2 import apply_rotary_pos_emb

        model = _causal_lm(model)
        self.model, self.config, self.rotate = model, model.config, apply_rotary_pos_emb
        c = self.config
        self.layers = model.model.layers[: c.num_hidden_layers]
        self.head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
        self.heads, self.kv_heads = c.num_attention_heads, c.num_key_value_heads
        self.scale = c.query_pre_attn_scalar ** -0.5
        embedding = model.model.embed_tokens
        self.embedding = _token_rows(embedding)
        base_embedding = getattr(getattr(embedding, "token_adapter", None), "base_layer", embedding)
        self.embed_scale = getattr(base_embedding, "embed_scale", None)  # Gemma's sqrt(hidden size)
        self.output = _token_rows(model.lm_head)
        weight = self.embedding
        self.batch, self.length = input_ids.size(0), input_ids.size(1) + new
        shape = (self.batch, self.kv_heads, self.length, self.head_dim)
        self.keys = [torch.zeros(shape, dtype=weight.dtype, device=weight.device) for _ in self.layers]
        self.values = [torch.zeros(shape, dtype=weight.dtype, device=weight.device) for _ in self.layers]
        self.types = getattr(c, "layer_types", None) or ["full_attention"] * len(self.layers)
        self.windows = [c.sliding_window if t == "sliding_attention" else None for t in self.types]
        # Which slots hold real tokens (left padding does not), every slot's position and rotary angles, once:
        # one rotary base for Gemma 2, one per layer type (local / global) for Gemma 3.
        self.valid = torch.cat([attention_mask.bool(), attention_mask.new_ones(self.batch, new, dtype=torch.bool)], 1)
        self.slots = torch.arange(self.length, device=weight.device)
        positions = (self.valid.long().cumsum(1) - 1).clamp(min=0)
        x = torch.zeros(1, dtype=weight.dtype, device=weight.device)
        if "layer_type" in inspect.signature(model.model.rotary_emb.forward).parameters:
            self.rope = {t: model.model.rotary_emb(x, positions, t) for t in set(self.types)}
        else:
            self.rope = dict.fromkeys(set(self.types), model.model.rotary_emb(x, positions))
        # Fewer, larger operations per token: q/k/v as one product, the MLP's gate and up as one, and each RMSNorm
        # as one `rms_norm` with Gemma's (1 + weight). Copies made once per answer batch.
        self.fused = [_FusedLayer(layer, c.rms_norm_eps) for layer in self.layers]
        self.final_norm = _norm_weight(model.model.norm)

    def prefill(self, ids):
        """Logits (B, V) after the prompts `ids` (B, P), which fill slots 0 … P-1."""
        n = ids.size(1)
        queries = self.slots[:n, None]
        masks = {window: self._mask(queries, self.slots[None, :n], self.valid[:, None, :n], window)
                 for window in set(self.windows)}

        def write(cache, kv):
            cache[:, :, :n] = kv
            return cache[:, :, :n]

        rope = {t: (cos[:, :n], sin[:, :n]) for t, (cos, sin) in self.rope.items()}
        return self._forward(ids, rope, masks, write, last_only=True)[:, -1]

    def step(self, token, slot):
        """Logits (B, V) after one token per row (B,) at `slot` (an int, or a 0-dim tensor under a CUDA graph)."""
        slot = torch.as_tensor(slot, device=self.slots.device).view(1)
        masks = {window: self._mask(slot[:, None], self.slots[None], self.valid[:, None], window)
                 for window in set(self.windows)}

        def write(cache, kv):
            return cache.index_copy_(2, slot, kv)

        rope = {t: (cos.index_select(1, slot), sin.index_select(1, slot)) for t, (cos, sin) in self.rope.items()}
        return self._forward(token[:, None], rope, masks, write)[:, -1]

    def _mask(self, query, key, valid, window: int | None):
        """Additive mask (B, 1, 1, n, k) for query slots (n, 1) over key slots (1, k): causal, real keys only
        (`valid` (B, 1, k)), and within `window` slots where the layer slides (as transformers': key j visible to
        query i when i - j < window)."""
        allowed = (key <= query)[None] & valid
        if window is not None:
            allowed = allowed & (query - key < window)[None]
        dtype = self.embedding.dtype
        mask = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
        return mask.masked_fill_(~allowed, torch.finfo(dtype).min)[:, None, None]

    def _embed(self, ids):
        x = torch.nn.functional.embedding(ids, self.embedding)
        return x if self.embed_scale is None else x * self.embed_scale.to(x.dtype)

    def _forward(self, ids, rope, masks, write, last_only: bool = False):
        """Logits (B, n, V) for tokens `ids` (B, n) ((B, 1, V), the last position's, with `last_only`: a prompt's
        other positions need no projection onto a 262k vocabulary); `rope[layer type]` their (cos, sin);
        `write(cache, kv)` stores their keys or values in a layer's cache and returns the part of it the masks span."""
        c = self.config
        batch, n = ids.shape
        groups = self.heads // self.kv_heads
        q_size, kv_size = self.heads * self.head_dim, self.kv_heads * self.head_dim
        x = self._embed(ids)
        for f, keys, values, window, kind in zip(self.fused, self.keys, self.values, self.windows, self.types):
            qkv = torch.nn.functional.linear(f.norm(x, f.input_norm), f.qkv)
            q, k, v = qkv.split([q_size, kv_size, kv_size], dim=-1)
            q = q.view(batch, n, self.heads, self.head_dim).transpose(1, 2)
            k = k.view(batch, n, self.kv_heads, self.head_dim).transpose(1, 2)
            if f.q_norm is not None:  # Gemma 3
                q, k = f.norm(q, f.q_norm), f.norm(k, f.k_norm)
            q, k = self.rotate(q, k, *rope[kind])
            keys = write(keys, k)
            values = write(values, v.view(batch, n, self.kv_heads, self.head_dim).transpose(1, 2))
            span = keys.size(2)
            q = q.reshape(batch, self.kv_heads, groups * n, self.head_dim)  # each KV head's query heads together
            scores = torch.matmul(q, keys.transpose(2, 3)) * self.scale
            if c.attn_logit_softcapping:
                scores = torch.tanh(scores / c.attn_logit_softcapping) * c.attn_logit_softcapping
            scores = scores.view(batch, self.kv_heads, groups, n, span) + masks[window]
            weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            out = torch.matmul(weights.view(batch, self.kv_heads, groups * n, span), values)
            out = out.view(batch, self.heads, n, self.head_dim).transpose(1, 2).reshape(batch, n, -1)
            x = x + f.norm(torch.nn.functional.linear(out, f.o), f.post_attention_norm)
            gate, up = torch.nn.functional.linear(f.norm(x, f.pre_mlp_norm), f.gate_up).chunk(2, dim=-1)
            mlp = torch.nn.functional.linear(f.act(gate) * up, f.down)
            x = x + f.norm(mlp, f.post_mlp_norm)
        x = x[:, -1:] if last_only else x
        logits = torch.nn.functional.linear(_rms_norm(x, self.final_norm, c.rms_norm_eps), self.output).float()
        cap = c.final_logit_softcapping  # as `output_logits`
        return torch.tanh(logits / cap) * cap if cap else logits


class _CudaGraphStep:
    """`_Decoder.step` captured once as a CUDA graph and replayed for every token: on a GPU a tiny model's step is a
    few hundred kernel launches whose CPU-side cost is most of the time; a replay launches them all at once. The
    token and slot go in through fixed buffers; the logits come out in one."""

    def __init__(self, decoder: _Decoder):
        device = decoder.slots.device
        self.token = torch.zeros(decoder.batch, dtype=torch.long, device=device)
        # Warm-up and capture write their keys and values at the last slot, which no answer's step attends to
        # before writing it (the last sampled token needs no step).
        self.slot = torch.full((), decoder.length - 1, dtype=torch.long, device=device)
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            decoder.step(self.token, self.slot)
        torch.cuda.current_stream(device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.logits = decoder.step(self.token, self.slot)

    def __call__(self, token, slot: int):
        self.token.copy_(token)
        self.slot.fill_(slot)
        self.graph.replay()
        return self.logits


class _FusedLayer:
    """One decoder layer's weights, arranged for decoding (see `_Decoder`); LoRA deltas added (`_weight`)."""

    def __init__(self, layer, eps: float):
        attn, mlp = layer.self_attn, layer.mlp
        self.qkv = torch.cat([_weight(attn.q_proj), _weight(attn.k_proj), _weight(attn.v_proj)])
        self.o = _weight(attn.o_proj)
        self.gate_up = torch.cat([_weight(mlp.gate_proj), _weight(mlp.up_proj)])
        self.down, self.act = _weight(mlp.down_proj), mlp.act_fn
        self.input_norm = _norm_weight(layer.input_layernorm)
        self.post_attention_norm = _norm_weight(layer.post_attention_layernorm)
        self.pre_mlp_norm = _norm_weight(layer.pre_feedforward_layernorm)
        self.post_mlp_norm = _norm_weight(layer.post_feedforward_layernorm)
        q_norm = getattr(attn, "q_norm", None)  # Gemma 3 normalises each head's queries and keys
        self.q_norm = _norm_weight(q_norm) if q_norm is not None else None
        self.k_norm = _norm_weight(attn.k_norm) if q_norm is not None else None
        self.eps = eps

    def norm(self, x, weight):
        return _rms_norm(x, weight, self.eps)


def _rms_norm(x, weight, eps: float):
    """Gemma's RMSNorm with `weight` = 1 + the module's weight, computed in float32 as transformers does."""
    return torch.nn.functional.rms_norm(x.float(), weight.shape, weight, eps).type_as(x)


def _norm_weight(norm):
    return 1.0 + norm.weight.float()
