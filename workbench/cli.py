"""The `workbench` command line. Thin: parses arguments, calls the library, prints results.

Every user error (WorkbenchError) becomes one line per problem on stderr and exit code 2; argparse usage
errors exit 2 as well. Nothing here shows a traceback for bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path

from workbench.errors import WorkbenchError


_COMMAND_MODULES = ("workbench.safety.cli", "workbench.store.cli", "workbench.lora_cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        sys.stderr.write(f"workbench: error: {message} (see `{self.prog} --help`)\n")
        sys.exit(2)


def _cmd_run(args) -> int:
    from workbench.distributed import resolve_launcher
    from workbench.pipeline import run_recipe
    from workbench.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / recipe.name
    only = [s for s in args.only.split(",") if s] if args.only else None
    launcher = resolve_launcher(recipe, args.launcher, args.accelerate_config, args.num_processes)
    manifest = run_recipe(recipe, run_dir, only, launcher)
    done = [s.stage_name for s in recipe.stages if manifest["stages"].get(s.stage_name, {}).get("status") == "done"]
    print(f"[workbench] run directory: {run_dir}  ({len(done)}/{len(recipe.stages)} stages done)")
    return 0


def _cmd_recipe_check(args) -> int:
    from workbench.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    print(f"{args.recipe}: ok ({recipe.name}: {len(recipe.models)} models, {len(recipe.stages)} stages: "
          f"{' -> '.join(s.stage_name for s in recipe.stages)})")
    return 0


def _cmd_tokenizer_train(args) -> int:
    from workbench.tokenizer import train_tokenizer

    tok = train_tokenizer([Path(c) for c in args.corpus], vocab_size=args.vocab_size, out_dir=Path(args.out), seed=args.seed)
    print(f"tokenizer with {len(tok)} tokens written to {args.out}")
    return 0


def _cmd_data_validate(args) -> int:
    from workbench.data import validate_file

    info = validate_file(Path(args.file), expect=args.expect)
    if info.type == "rubric":
        from workbench.rubric import load_rubric

        groups = load_rubric(Path(args.file)).groups
        print(f"{args.file}: type=rubric rows={info.rows} groups={len(groups)} ({', '.join(groups)})")
        return 0
    implicit = " (implicit prompt)" if info.implicit_prompt else ""
    print(f"{args.file}: type={info.type}{implicit} form={info.form} rows={info.rows}")
    return 0


def _cmd_taskworld_generate(args) -> int:
    from workbench.taskworld import generate

    summary = generate(Path(args.out), n=args.n, seed=args.seed)
    print(json.dumps(summary, indent=2))
    return 0


def _cmd_taskworld_score(args) -> int:
    from workbench.taskworld import score_files

    report = score_files(Path(args.data), Path(args.responses))
    print(report.table())
    print(json.dumps(report.to_dict(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="workbench", description="Gemma 2-style post-training workbench.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a recipe (skips finished stages, resumes interrupted ones)")
    r.add_argument("recipe")
    r.add_argument("--run-dir", help="run directory (default runs/<recipe name>)")
    r.add_argument("--only", help="comma-separated stage names to run (their inputs must be done)")
    r.add_argument("--launcher", choices=("local", "accelerate"),
                   help="local: every stage in this process (the default); accelerate: each training stage as an "
                        "`accelerate launch` job (default: the recipe's `launcher:` block, if any)")
    r.add_argument("--accelerate-config", metavar="FILE",
                   help="accelerate config for the training stages, e.g. recipes/accelerate/multi_gpu.yaml")
    r.add_argument("--num-processes", type=int, metavar="N", help="processes per training stage (overrides the config)")
    r.set_defaults(fn=_cmd_run, overrides=[])  # `key.path=value` arguments anywhere after the recipe (see main)
    r.epilog = "Trailing key.path=value arguments override recipe values, e.g. seed=3 stages.sft.train.lr=1e-4."

    rc = sub.add_parser("recipe", help="recipe tools").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    c = rc.add_parser("check", help="validate a recipe without running it")
    c.add_argument("recipe")
    c.set_defaults(fn=_cmd_recipe_check, overrides=[])

    tk = sub.add_parser("tokenizer", help="tokenizer tools").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    t = tk.add_parser("train", help="train a SentencePiece tokenizer with Gemma's control tokens and chat template")
    t.add_argument("--corpus", nargs="+", required=True, help="plain-text files")
    t.add_argument("--vocab-size", type=int, default=4096)
    t.add_argument("--out", required=True)
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(fn=_cmd_tokenizer_train)

    dt = sub.add_parser("data", help="data tools").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    v = dt.add_parser("validate", help="detect a dataset's TRL type and form, or say what is wrong with it")
    v.add_argument("file")
    v.add_argument("--expect", help="required type: language_modeling, prompt_only, prompt_completion, preference, unpaired_preference, "
                        "or rubric (a rubric file for `evaluate`, docs/rubric.md)")
    v.set_defaults(fn=_cmd_data_validate)

    tw = sub.add_parser("taskworld", help="the synthetic task world").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    g = tw.add_parser("generate", help="write train/validation/test splits in TRL formats")
    g.add_argument("--out", required=True)
    g.add_argument("--n", type=int, default=2000, help="training examples per split scale")
    g.add_argument("--seed", type=int, default=0)
    g.set_defaults(fn=_cmd_taskworld_generate)
    s = tw.add_parser("score", help="score responses with the task world's verifiers")
    s.add_argument("--data", required=True, help="prompt file written by `taskworld generate` (with metadata)")
    s.add_argument("--responses", required=True, help="JSONL of responses (same order, or with an `id`)")
    s.set_defaults(fn=_cmd_taskworld_score)

    for module in _COMMAND_MODULES:  # packages that own their commands (they import their heavy deps lazily)
        importlib.import_module(module).add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # `key=value` overrides may come after options such as --run-dir
        if not hasattr(args, "overrides") or not all("=" in x and not x.startswith("-") for x in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = [*args.overrides, *extra]
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.fn(args)
    except WorkbenchError as e:
        for line in e.lines:
            sys.stderr.write(f"error: {line}\n")
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
