"""The worker side of a distributed training stage: what every rank of

    accelerate launch [--config_file FILE] [--num_processes N] -m workbench.distributed SPEC.json

runs (DDP, FSDP, DeepSpeed ZeRO). `workbench.launcher` starts it from the pipeline and writes SPEC.json: the recipe as
resolved, its path, the run directory and the stage's name. Every rank rebuilds the same recipe and StageContext and
calls that one stage's `run(cfg, ctx)`; rank 0 alone writes the stage's artifacts (the guards in `workbench.ranks`)
and the returned metrics, as JSON, to the file the parent reads.

Our own code because accelerate launches scripts, not pipeline stages; everything distributed (process groups,
DDP/FSDP/DeepSpeed wrapping, sharded saving) is accelerate's and transformers' Trainer's. Nothing in the library
imports this module: it is an entry point only.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from workbench.atomic import write_json
from workbench.errors import WorkbenchError
from workbench.pipeline import Pipeline
from workbench.ranks import is_main_process, state, wait_for_everyone
from workbench.recipe import parse_recipe
from workbench.stages import stage_modules


def main(argv: list[str] | None = None) -> int:
    """Run the stage SPEC.json names on this rank (started by `accelerate launch -m workbench.distributed`)."""
    from accelerate.utils import gather_object

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: accelerate launch -m workbench.distributed SPEC.json (written by workbench run)\n")
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    spec = json.loads(Path(argv[0]).read_text())
    rank = state()
    if rank is not None:
        print(f"[workbench] {spec['stage']}: rank {rank.process_index} of {rank.num_processes} "
              f"({rank.distributed_type}, {rank.device})", flush=True)
    try:
        recipe = parse_recipe(spec["recipe"], Path(spec["recipe_path"]) if spec["recipe_path"] else None)
        cfg = recipe.stage(spec["stage"])
        ctx = Pipeline(recipe, Path(spec["run_dir"])).context(cfg)  # the stage's own seed included
        metrics = stage_modules()[cfg.kind].run(cfg, ctx) or {}
    except WorkbenchError as e:
        for line in e.lines:
            sys.stderr.write(f"error: {line}\n")
        return e.exit_code
    ranks = sorted(gather_object([rank.process_index])) if rank is not None else [0]
    metrics["launcher"] = {"world_size": len(ranks), "ranks": ranks,
                           "distributed_type": str(rank.distributed_type) if rank is not None else "NO"}
    if is_main_process():
        write_json(spec["result"], metrics)
    wait_for_everyone()
    return 0


if __name__ == "__main__":
    sys.exit(main())
