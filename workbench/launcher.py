"""Running a pipeline stage: in this process, or, for a training stage under the accelerate launcher, as

    accelerate launch [--config_file FILE] [--num_processes N] -m workbench.distributed SPEC.json

where SPEC.json (written here into the stage folder) holds the recipe as resolved (overrides applied), its path, the
run directory and the stage's name; `workbench.distributed` is the worker side that every rank runs. The subprocess's
output goes to the terminal and to `<stage>/launch.log`; rank 0 writes the stage's metrics, as JSON, to a file read
back here. Other stages (taskworld, tokenizer, generate, filter, merge, evaluate) run in the parent process as with
the `local` launcher. The launcher is not part of any fingerprint: a stage finished under one launcher is skipped
under another.

The pipeline (manifest, skipping, resuming, fingerprints) always stays in the one process that `workbench run`
starts. The settings schema is `workbench.launch_settings`; the rank helpers are `workbench.ranks`.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.launch_settings import LauncherSettings

LOG = "launch.log"  # the subprocess's output, in the stage folder
SPEC, RESULT = ".launch.json", ".launch-metrics.json"


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


def launch_command(launcher: LauncherSettings, spec: Path) -> list[str]:
    cmd = [sys.executable, "-m", "accelerate.commands.launch"]
    if launcher.accelerate_config:
        cmd += ["--config_file", launcher.accelerate_config]
    if launcher.num_processes:
        cmd += ["--num_processes", str(launcher.num_processes)]
    return [*cmd, "-m", "workbench.distributed", str(spec)]


def _launch(ctx, launcher: LauncherSettings) -> dict:
    from workbench.atomic import write_json
    from workbench.console import say

    spec, result, log = ctx.stage_dir / SPEC, ctx.stage_dir / RESULT, ctx.stage_dir / LOG
    result.unlink(missing_ok=True)
    write_json(spec, {"recipe": ctx.recipe.model_dump(mode="json"),
                      "recipe_path": str(ctx.recipe.path) if ctx.recipe.path else None,
                      "run_dir": str(ctx.run_dir), "stage": ctx.stage_name, "result": str(result)})
    cmd = launch_command(launcher, spec)
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
