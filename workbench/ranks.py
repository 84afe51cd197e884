"""Rank helpers for code that may run on every rank of a distributed launch (`workbench.distributed`).

`world_size`, `is_main_process`, `wait_for_everyone` and `main_process_first` are accelerate's `PartialState` ones
inside a distributed launch (WORLD_SIZE > 1) and do nothing in a plain process, so stages call them unconditionally.
torch and accelerate are imported only inside a launch.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator


def state():
    """accelerate's state inside a distributed launch (the one the Trainer uses), else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())  # the Trainer's choice (training_arguments' use_cpu)


def world_size() -> int:
    current = state()
    return 1 if current is None else current.num_processes


def is_main_process() -> bool:
    current = state()
    return current is None or current.is_main_process


def wait_for_everyone() -> None:
    current = state()
    if current is not None:
        current.wait_for_everyone()


@contextlib.contextmanager
def main_process_first() -> Iterator[None]:
    """Rank 0 runs the block first, the others after it (e.g. to reuse a cache rank 0 just filled)."""
    current = state()
    if current is None:
        yield
    else:
        with current.main_process_first():
            yield
