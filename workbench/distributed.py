"""Running training stages under `accelerate launch` (DDP, FSDP, DeepSpeed ZeRO), and the rank helpers stages use.

The pipeline (manifest, skipping, resuming, fingerprints) always stays in the one process that `workbench run`
starts. With the `accelerate` launcher, each stage with a `train:` block runs as

    accelerate launch [--config_file FILE] [--num_processes N] -m workbench.distributed SPEC.json

where SPEC.json (written by the parent into the stage folder) holds the recipe as resolved (overrides applied), its
path, the run directory and the stage's name. Every rank rebuilds the same recipe and StageContext and calls that one
stage's `run(cfg, ctx)`; rank 0 alone writes the stage's artifacts (the guards below) and the returned metrics, as
JSON, to the file the parent reads. The subprocess's output goes to the terminal and to `<stage>/launch.log`. Other
stages (taskworld, tokenizer, generate, filter, merge, evaluate) run in the parent process as with the `local`
launcher. The launcher is not part of any fingerprint: a stage finished under one launcher is skipped under another.

Rank helpers (`world_size`, `is_main_process`, `wait_for_everyone`, `main_process_first`) are accelerate's `PartialState` ones
inside a distributed launch and do nothing in a plain process.

Our own code because accelerate launches scripts, not pipeline stages; everything distributed (process groups,
DDP/FSDP/DeepSpeed wrapping, sharded saving) is accelerate's and transformers' Trainer's.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from workbench.errors import WorkbenchError

LOG = "launch.log"  # the subprocess's output, in the stage folder
_SPEC, _RESULT = ".launch.json", ".launch-metrics.json"


class LauncherSettings(BaseModel):
    """How training stages run: a recipe's `launcher:` block, or the `workbench run --launcher ...` flags."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "accelerate"] = Field("local",
        description="local: every stage in this process; accelerate: each training stage as an "
                    "`accelerate launch` job.")
    accelerate_config: str | None = Field(None,
        description="An `accelerate launch --config_file`; relative to the recipe in a recipe.")
    num_processes: int | None = Field(None, ge=1, le=1024, description="Overrides the config's num_processes.")


def resolve_launcher(recipe, kind: str | None = None, accelerate_config: str | None = None,
                     num_processes: int | None = None) -> LauncherSettings:
    """The recipe's `launcher:` block (its config path taken relative to the recipe), with command-line values over
    it. Giving a config or a process count without a kind means the accelerate launcher."""
    settings = recipe.launcher or LauncherSettings()
    if settings.accelerate_config and recipe.path is not None:
        path = Path(settings.accelerate_config).expanduser()
        settings = settings.model_copy(update={"accelerate_config": str(recipe.path.parent / path)})
    update = {k: v for k, v in (("accelerate_config", accelerate_config), ("num_processes", num_processes))
              if v is not None}
    if kind or update:
        update["kind"] = kind or "accelerate"
    if update.get("num_processes", 1) < 1:
        raise WorkbenchError(f"--num-processes {num_processes}: give at least 1")
    settings = settings.model_copy(update=update)
    if settings.kind == "accelerate" and settings.accelerate_config and not Path(settings.accelerate_config).is_file():
        raise WorkbenchError(f"accelerate config {settings.accelerate_config}: file not found")
    return settings


def is_training_stage(cfg) -> bool:
    """Stages with a `train:` block (pretrain, distill_pretrain, sft, distill, reward, dpo, rlhf) train a model."""
    return "train" in type(cfg).model_fields


def run_stage(module, cfg, ctx, launcher: LauncherSettings | None) -> dict:
    """Run one stage: in this process, or for a training stage under the accelerate launcher, as an accelerate job."""
    if launcher is None or launcher.kind == "local" or not is_training_stage(cfg):
        return module.run(cfg, ctx) or {}
    return _launch(ctx, launcher)


# --- the parent side -------------------------------------------------------------------------------------------


def launch_command(launcher: LauncherSettings, spec: Path) -> list[str]:
    cmd = [sys.executable, "-m", "accelerate.commands.launch"]
    if launcher.accelerate_config:
        cmd += ["--config_file", launcher.accelerate_config]
    if launcher.num_processes:
        cmd += ["--num_processes", str(launcher.num_processes)]
    return [*cmd, "-m", "workbench.distributed", str(spec)]


def _launch(ctx, launcher: LauncherSettings) -> dict:
    from workbench.atomic import write_json

    spec, result, log = ctx.stage_dir / _SPEC, ctx.stage_dir / _RESULT, ctx.stage_dir / LOG
    result.unlink(missing_ok=True)
    write_json(spec, {"recipe": ctx.recipe.model_dump(mode="json"),
                      "recipe_path": str(ctx.recipe.path) if ctx.recipe.path else None,
                      "run_dir": str(ctx.run_dir), "stage": ctx.stage_name, "result": str(result)})
    cmd = launch_command(launcher, spec)
    from workbench.console import say

    say(f"[workbench] {ctx.stage_name}: accelerate launch {' '.join(cmd[3:])}  (output also in {log})")
    code = _run_teed(cmd, log)
    if code != 0 or not result.is_file():
        reason = next((ln.removeprefix("error: ") for ln in log.read_text(errors="replace").splitlines()
                       if ln.startswith("error: ")), None)
        raise WorkbenchError(f"stage {ctx.stage_name}: accelerate launch exited with code {code}"
                             f"{f' ({reason})' if reason else ''}; full output in {log}")
    metrics = json.loads(result.read_text())
    spec.unlink()
    result.unlink()
    return metrics


def _run_teed(cmd: list[str], log: Path) -> int:
    """Run `cmd`, copying its output (stdout and stderr) to our stdout and to the end of `log` as it comes."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with open(log, "ab") as out:  # appended: a resumed stage keeps the output of the attempt that failed
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            while chunk := os.read(proc.stdout.fileno(), 1 << 16):
                out.write(chunk)
                out.flush()
                sys.stdout.write(decoder.decode(chunk))
                sys.stdout.flush()
            return proc.wait()
        except BaseException:  # Ctrl-C: the launcher got the signal too; do not leave it behind
            proc.terminate()
            proc.wait()
            raise
        finally:
            proc.stdout.close()


# --- rank helpers ----------------------------------------------------------------------------------------------


def _state():
    """accelerate's state inside a distributed launch (the one the Trainer uses), else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())  # the Trainer's choice (training_arguments' use_cpu)


def world_size() -> int:
    state = _state()
    return 1 if state is None else state.num_processes


def is_main_process() -> bool:
    state = _state()
    return state is None or state.is_main_process


def wait_for_everyone() -> None:
    state = _state()
    if state is not None:
        state.wait_for_everyone()


@contextlib.contextmanager
def main_process_first() -> Iterator[None]:
    """Rank 0 runs the block first, the others after it (e.g. to reuse a cache rank 0 just filled)."""
    state = _state()
    if state is None:
        yield
    else:
        with state.main_process_first():
            yield


# --- the worker side -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the stage SPEC.json names on this rank (started by `accelerate launch -m workbench.distributed`)."""
    import logging

    from accelerate.utils import gather_object

    from workbench.atomic import write_json
    from workbench.pipeline import Pipeline
    from workbench.recipe import parse_recipe
    from workbench.stages import stage_modules

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: accelerate launch -m workbench.distributed SPEC.json (written by workbench run)\n")
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    spec = json.loads(Path(argv[0]).read_text())
    state = _state()
    if state is not None:
        print(f"[workbench] {spec['stage']}: rank {state.process_index} of {state.num_processes} "
              f"({state.distributed_type}, {state.device})", flush=True)
    try:
        recipe = parse_recipe(spec["recipe"], Path(spec["recipe_path"]) if spec["recipe_path"] else None)
        cfg = recipe.stage(spec["stage"])
        ctx = Pipeline(recipe, Path(spec["run_dir"])).context(cfg)  # the stage's own seed included
        metrics = stage_modules()[cfg.kind].run(cfg, ctx) or {}
    except WorkbenchError as e:
        for line in e.lines:
            sys.stderr.write(f"error: {line}\n")
        return e.exit_code
    ranks = sorted(gather_object([state.process_index])) if state is not None else [0]
    metrics["launcher"] = {"world_size": len(ranks), "ranks": ranks,
                           "distributed_type": str(state.distributed_type) if state is not None else "NO"}
    if is_main_process():
        write_json(spec["result"], metrics)
    wait_for_everyone()
    return 0


if __name__ == "__main__":
    sys.exit(main())
