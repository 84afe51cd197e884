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

Greedy decoding on a CPU with bf16 hardware (AVX512-BF16 or AMX) takes the output layer through `_ExactGreedyHead`:
a bf16 product over the vocabulary, a rigorous bound on its error, and a float32 product over the few tokens the bound
cannot rule out, so the token is still the float32 argmax; on Gemma 3 270M the output layer is the largest read of a
step. Sampled decoding needs every logit exactly and keeps the float32 product.

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
    # Building the bf16 copy costs about four steps' saving on Gemma 3 270M (1.1 s against 0.28 s a step, measured):
    # too much for a few tokens.
    if not do_sample and max_new_tokens >= 8 and _bf16_head_pays(decoder.output):
        head = _ExactGreedyHead(decoder.output, decoder.config.final_logit_softcapping)
        step, choose = decoder.step, head
        state = decoder.prefill(input_ids)
    else:
        step = _CudaGraphStep(decoder) if input_ids.is_cuda else decoder.step_logits
        state = decoder.logits(decoder.prefill(input_ids))

        def choose(logits):
            return _next_token(logits, do_sample, temperature, top_k, top_p, generator)
    stops = torch.tensor(stop_ids, device=input_ids.device)
    finished = torch.zeros(input_ids.size(0), dtype=torch.bool, device=input_ids.device)
    out = []
    for t in range(max_new_tokens):
        token = choose(state)
        token = torch.where(finished, torch.full_like(token, pad_id), token)
        out.append(token)
        finished |= torch.isin(token, stops)
        if t == max_new_tokens - 1 or bool(finished.all()):
            break
        state = step(token, input_ids.size(1) + t)
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


def _bf16_head_pays(weight) -> bool:
    """Whether greedy decoding should take its logits through `_ExactGreedyHead`: a float32 output layer on a CPU
    that multiplies bf16 in hardware (elsewhere bf16 is emulated and slower than float32). GPUs keep the float32
    product inside their CUDA graph."""
    from workbench.training import cpu_supports_bf16

    return weight.dtype == torch.float32 and weight.device.type == "cpu" and cpu_supports_bf16()


class _ExactGreedyHead:
    """Greedy decoding's output layer, exact but mostly in bf16: the float32 argmax of `hidden @ weight.T` (soft-capped
    where the model caps), found from a bf16 product over the whole vocabulary and a float32 product over the few
    tokens that the bf16 one cannot rule out.

    Why: at batch 8 a decode step of Gemma 3 270M reads its 262,144 x 640 output layer (168 M weights, 672 MB in
    float32) once per token, the largest single cost of the step; a bf16 copy halves the bytes and runs on the CPU's
    bf16 dot-product units. A bf16 logit is not the float32 one, so each step bounds the difference rigorously and
    re-computes in float32 the logits of every token whose bf16 logit plus its bound reaches the best bf16 logit
    minus its bound (the "candidates", per row; their union over the batch in one product); the token chosen is the
    argmax of those float32 logits, which is the argmax of the full float32 product (up to float32 ties or near-ties
    that a different summation order breaks differently, as between any two float32 products of the same numbers).
    When the candidates are more than `weight.size(0) // 32` tokens (a flat distribution), the step takes the full
    float32 product instead.

    The bound, per row x and token row w (float32, D values each), with x' = bf16(x), r = x - x' (exact in float32),
    w' = bf16(w), s = w - w', u = 2^-8 (bf16's unit roundoff, round to nearest even: |s_j| <= u |w_j|, so |s| <= u |w|
    and |w'| <= (1 + u) |w|) and g = D 2^-24 / (1 - D 2^-24) (float32 accumulation of D terms, in any order):
    x.w - x'.w' = x'.s + r.w exactly, at most (u |x'| + |r|) |w| (Cauchy-Schwarz); the bf16 kernel sums the exact
    products x'_j w'_j in float32, off by at most g |x'| |w'| <= g (1 + u) |x'| |w|, and rounds the sum y to bf16:
    |b - y| <= u |y|, so <= u / (1 - u) |b|; the float32 reference logit z is off x.w by at most g |x| |w| <= g (|x'| +
    |r|) |w|. So |b - z| <= E = c |w| + u / (1 - u) |b|, with c = u |x'| + |r| + g ((2 + u) |x'| + |r|) per row.
    E is then multiplied by 1 + 2^-8 and 2^-20 |b| is added: far more than the float32 rounding of the norms and of
    evaluating E and b +- E. For the token t that float32 picks (the first maximum) and the best lower bound
    L = max_k (b_k - E_k) <= z_k <= z_t <= b_t + E_t, t is a candidate, and so is every token tied with it. With a
    soft-cap f (monotone; float32's tanh is within a few ulps of it, so f(z_t) >= f(L) - 2^-16 cap, generously) the
    candidates are the tokens with b + E >= f^-1(f(L) - 2^-16 cap) instead (in float64, rounded down). Row norms |w|
    take one pass over the weight per `sample` call, with the bf16 copy (not cached: a cache keyed on the tensor's
    version would miss in-place edits through `.data`, and a stale bound is a wrong token). A step whose bf16 logits
    overflow takes the float32 product; products that underflow (below 2^-126 each) are inside the slack.
    """

    UNIT = 2.0 ** -8

    def __init__(self, weight, softcap: float | None = None):
        self.weight, self.softcap = weight, softcap
        self.low = weight.to(torch.bfloat16)
        self.norms = torch.linalg.vector_norm(weight, dim=1)
        self.max_norm = float(self.norms.max())
        dim = weight.size(1)
        self.gamma = dim * 2.0 ** -24 / (1 - dim * 2.0 ** -24)
        u = self.UNIT
        self.relative = u / (1 - u) * (1 + 2.0 ** -8) + 2.0 ** -20  # E's factor on |b|, slack included
        self.limit = max(1, weight.size(0) // 32)
        self.steps = self.fallbacks = self.candidates = 0  # counters for the tests and the benchmark

    def coefficients(self, x, x_low):
        """c (B, 1) of the bound (see the class), slack included, for float32 rows `x` (B, D) and their bf16 `x_low`."""
        u, g = self.UNIT, self.gamma
        low_norm = torch.linalg.vector_norm(x_low.float(), dim=1, keepdim=True)
        residual_norm = torch.linalg.vector_norm(x - x_low.float(), dim=1, keepdim=True)
        return (u * low_norm + residual_norm + g * ((2 + u) * low_norm + residual_norm)) * (1 + 2.0 ** -8)

    def bound(self, c, norms, approx):
        """E (B, N): the bound on |bf16 logit - float32 logit| for rows with coefficients `c` (B, 1), token rows of
        norms `norms` (N,) and bf16 logits `approx` (B, N) (as float32)."""
        return c * norms + self.relative * approx.abs()

    def __call__(self, hidden):
        """The float32 greedy tokens (B,) for final hidden states `hidden` (B, D)."""
        self.steps += 1
        x = hidden.float()
        x_low = x.bfloat16()
        c = self.coefficients(x, x_low)
        approx = torch.nn.functional.linear(x_low, self.low)  # (B, V) bf16
        top = approx.max(dim=1, keepdim=True).values.float()
        if not (torch.isfinite(top).all() and torch.isfinite(c).all()):
            return self._full(x)
        # A first cut without per-token bounds, so that E is evaluated on a few columns only: a candidate has
        # b + E >= floor(L) >= floor(top - E_top) =: lam, with every E <= c max|w| + relative |b|.
        lam = self._floor(top - (c * self.max_norm + self.relative * top.abs())) - c * self.max_norm
        reach = torch.where(lam < 0, lam / (1 - self.relative), lam / (1 + self.relative))
        columns = (approx >= reach).any(0).nonzero().squeeze(1)
        if columns.numel() > 8 * self.limit:
            return self._full(x)
        b = approx[:, columns].float()
        e = self.bound(c, self.norms[columns], b)
        candidate = b + e >= self._floor((b - e).max(dim=1, keepdim=True).values)
        keep = candidate.any(0)
        chosen = columns[keep]
        if chosen.numel() > self.limit:
            return self._full(x)
        self.candidates += chosen.numel()
        exact = self._cap(torch.nn.functional.linear(x, self.weight[chosen]))
        return chosen[exact.masked_fill(~candidate[:, keep], float("-inf")).argmax(dim=1)]

    def _floor(self, lower):
        """The least logit that can still win against a token whose logit is at least `lower` (B, 1): `lower`
        itself, or under a soft-cap f the least y with f(y) >= f(lower) - 2^-16 cap (the float32 tanh's error,
        generously), in float64, rounded down; -inf where every logit can."""
        if not self.softcap:
            return lower
        cap = float(self.softcap)
        level = torch.tanh(lower.double() / cap) - 2.0 ** -16
        floor = cap * torch.atanh(level.clamp(min=-1.0)) - 2.0 ** -20 * (cap + lower.double().abs())
        return floor.float()

    def _cap(self, logits):
        cap = self.softcap
        return torch.tanh(logits / cap) * cap if cap else logits

    def _full(self, x):
        self.fallbacks += 1
        return self._cap(torch.nn.functional.linear(x, self.weight)).argmax(dim=1)


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
        """The final hidden state (B, D) after the prompts `ids` (B, P), which fill slots 0 … P-1."""
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
        """The final hidden state (B, D) after one token per row (B,) at `slot` (an int, or a 0-dim tensor under a
        CUDA graph)."""
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

    def step_logits(self, token, slot):
        """`logits` of `step`'s hidden state."""
        return self.logits(self.step(token, slot))

    def logits(self, hidden):
        """The model's float32 logits (B, V) for final hidden states (B, D), final soft-cap applied (as
        `output_logits`)."""
        logits = torch.nn.functional.linear(hidden, self.output).float()
        cap = self.config.final_logit_softcapping
        return torch.tanh(logits / cap) * cap if cap else logits

    def _forward(self, ids, rope, masks, write, last_only: bool = False):
        """Final hidden states (B, n, D), after the final norm, for tokens `ids` (B, n) ((B, 1, D), the last
        position's, with `last_only`); `rope[layer type]` their (cos, sin);
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
        return _rms_norm(x, self.final_norm, c.rms_norm_eps)


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
            decoder.step_logits(self.token, self.slot)
        torch.cuda.current_stream(device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.logits = decoder.step_logits(self.token, self.slot)

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
