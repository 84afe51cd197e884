"""Models: Gemma 2 presets (`presets`, and `output_logits`: the output layer with Gemma's final soft-cap), where a model comes from (`spec.ModelSpec`), and loading any of them
with its tokenizer (`loading`)."""

from workbench.models.loading import (cache_dir, describe, gguf_to_folder, load_model, load_tokenizer,
                                      to_inference_device)
from workbench.models.presets import output_logits
from workbench.models.spec import ModelSpec

__all__ = ["ModelSpec", "cache_dir", "describe", "gguf_to_folder", "load_model", "load_tokenizer",
           "output_logits", "to_inference_device"]
