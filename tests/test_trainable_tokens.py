"""`workbench.trainable_tokens`: the lean forward pass of peft's trainable token rows computes what peft's computes."""

from __future__ import annotations

import copy

import torch

from workbench.trainable_tokens import lean_trainable_tokens


def _tiny_lora_with_token_rows(rows: list[int]):
    """A 2-layer Gemma 3 (tied embedding, scaled like Gemma 3's) with LoRA and trainable rows, the rows moved away
    from the base's so that a forward pass that ignored them would differ."""
    from peft import LoraConfig, get_peft_model
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=8,
                              tie_word_embeddings=True)
    model = get_peft_model(Gemma3ForCausalLM(config), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                                 trainable_token_indices=rows, task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "trainable_tokens_delta" in name or "lora_B" in name:
                param.normal_(0, 0.5)
    return model


def test_lean_token_rows_give_peft_values_and_gradients():
    rows = [3, 5]
    peft_model = _tiny_lora_with_token_rows(rows)
    lean_model = copy.deepcopy(peft_model)
    assert lean_trainable_tokens(lean_model) == 2  # the embedding and the tied output layer
    ids = torch.tensor([[2, 3, 10, 5, 5, 40, 3, 7], [2, 11, 12, 13, 3, 0, 0, 0]])
    mask = (ids != 0).long()
    weights = torch.randn(2, 8, 97, generator=torch.Generator().manual_seed(1))
    grads = []
    for model in (peft_model, lean_model):
        model.train()
        logits = model(input_ids=ids, attention_mask=mask).logits
        (logits * weights).sum().backward()
        grads.append((logits.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}))
    (peft_logits, peft_grads), (lean_logits, lean_grads) = grads
    assert any("trainable_tokens_delta" in name for name in lean_grads)
    torch.testing.assert_close(lean_logits, peft_logits, atol=1e-5, rtol=1e-5)
    assert lean_logits[..., rows].abs().sum() > 0
    assert lean_grads.keys() == peft_grads.keys()
    for name, grad in peft_grads.items():
        torch.testing.assert_close(lean_grads[name], grad, atol=1e-4, rtol=1e-4, msg=name)

    # without the adapters (an RLHF reference, say) and merged, peft's own forward pass runs, as before
    with lean_model.disable_adapter(), peft_model.disable_adapter(), torch.no_grad():
        torch.testing.assert_close(lean_model(input_ids=ids).logits, peft_model(input_ids=ids).logits)
    merged_lean, merged_peft = lean_model.merge_and_unload(), peft_model.merge_and_unload()
    with torch.no_grad():
        torch.testing.assert_close(merged_lean(input_ids=ids).logits, merged_peft(input_ids=ids).logits)
