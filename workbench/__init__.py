"""Workbench: Gemma 2-style post-training (SFT, on-policy distillation, RLHF, merging) as a recipe-driven tool."""

__version__ = "0.1.0"
