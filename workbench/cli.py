"""The `workbench` command line. Thin: parses arguments, calls the library, prints results.

`main` is the one place where every exception reaching the command line becomes a short message:
  * WorkbenchError (bad input the user can fix): one line per problem (at most MAX_PROBLEM_LINES), exit 2;
  * OSError naming a file (unwritable, read-only, missing folder, disk full): one line, exit 2;
  * anything else is a bug: one line naming the log file that holds the traceback, exit 1 (`-v` prints it too).
Argparse usage errors exit 2 as well. Messages are printed with control characters and lone surrogates escaped,
so a hostile name cannot break the one-line rule or the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.paths import bounded_int, seed_arg


_COMMAND_MODULES = ("workbench.safety.cli", "workbench.store.cli", "workbench.lora_cli", "workbench.chat")


MAX_PROBLEM_LINES = 10  # a recipe with more problems prints the first ten and a count of the rest


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        sys.stderr.write(f"workbench: error: {_one_line(message)} (see `{self.prog} --help`)\n")
        sys.exit(2)


def _one_line(text: str) -> str:
    """`text` with newlines, other control characters and lone surrogates escaped, safe to print as one line."""
    text = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _run_dir(args, recipe) -> Path:
    run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / recipe.name
    if run_dir.exists() and not run_dir.is_dir():
        raise WorkbenchError(f"--run-dir {run_dir}: is a file, not a folder; give a folder for the run")
    if run_dir.is_dir() and not os.access(run_dir, os.W_OK | os.X_OK):
        raise WorkbenchError(f"--run-dir {run_dir}: folder is not writable; give a folder you can write to")
    return run_dir


def _only(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise WorkbenchError(f"--only {text!r}: no stage names; give comma-separated stage names, or drop --only")
    return names


def _stage_cache(args):
    """The stage cache `workbench run` uses: --cache DIR, else the default (`workbench.stage_cache.default_root`);
    None with --no-cache."""
    from workbench.stage_cache import StageCache, default_root

    if args.no_cache:
        return None
    root = Path(args.cache).expanduser() if args.cache else default_root()
    if root.exists() and not root.is_dir():
        raise WorkbenchError(f"--cache {root}: is a file, not a folder; give a folder for the stage cache, or --no-cache")
    return StageCache(root)


def _cmd_run(args) -> int:
    from workbench.launcher import resolve_launcher
    from workbench.errors import WaitingForPeople
    from workbench.pipeline import Pipeline
    from workbench.recipe import load_recipe
    from workbench.rundir import stage_states, states_table

    only = _only(args.only)
    if args.seeds is not None:
        from workbench.seeds import run_seeds

        return run_seeds(args, _stage_cache(args), only)
    recipe = load_recipe(args.recipe, args.overrides)
    run_dir = _run_dir(args, recipe)
    launcher = resolve_launcher(recipe, args.launcher, args.accelerate_config, args.num_processes)
    pipeline = Pipeline(recipe, run_dir, launcher, verbose=args.verbose, stage_cache=_stage_cache(args))
    try:
        pipeline.run(only)
    except WaitingForPeople as e:
        raise e.in_run(run_dir) from None
    names = [s.stage_name for s in recipe.stages]
    print(states_table(stage_states(run_dir, names, verify=False)))
    current = pipeline.current_stages()  # done with the fingerprint they would have now: not stale
    stale = [name for name in names if name not in current]
    note = f"; not up to date: {', '.join(stale)} (run without --only)" if only and stale else ""
    print(f"[workbench] run directory: {run_dir}  ({len(current)}/{len(recipe.stages)} stages done{note})")
    for line in _rating_hints(recipe, run_dir, current):
        print(line)
    return 0


def _rating_hints(recipe, run_dir: Path, current) -> list[str]:
    """What to do next when a current `pairs` stage put pairs in a store: the `workbench ui` command that opens it
    from here (with `--db` unless it is the UI's default store)."""
    from workbench.store.db import DEFAULT_DB

    hints = []
    for stage in recipe.stages:
        name = stage.stage_name
        if stage.kind != "pairs" or name not in current:
            continue
        try:
            metrics = json.loads((run_dir / name / "metrics.json").read_text())
            store, pairs = str(metrics["store"]), int(metrics["pairs"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        db = "" if "://" not in store and Path(store).resolve() == Path(DEFAULT_DB).resolve() else f" --db {store}"
        hints.append(f"[workbench] next: rate the {pairs} pairs of stage {name} with "
                     f"`workbench ui --run-dir {run_dir}{db}`, then run the same command again to retrain on them")
    return hints


def _cmd_status(args) -> int:
    from workbench.rundir import MANIFEST, read_manifest, stage_states, states_table

    run_dir = Path(args.run_dir)
    if not (run_dir / MANIFEST).is_file():
        raise WorkbenchError(f"{run_dir}: no {MANIFEST} here, so not a run directory (or nothing has run in it yet)")
    recipe = read_manifest(run_dir).get("recipe") or {}
    stages = recipe.get("stages") if isinstance(recipe, dict) else None
    names = [s.get("name") or s.get("kind") for s in stages if isinstance(s, dict)] if isinstance(stages, list) else None
    print(states_table(stage_states(run_dir, names or None)))
    return 0


def _cmd_cache_ls(args) -> int:
    cache = _stage_cache(args)
    rows = cache.entries()
    if not rows:
        print(f"{cache.root}: no entries")
        return 0
    table = [("fingerprint", "stage", "kind", "size", "built by", "built at", "last used")]
    for row in rows:
        if "damaged" in row:
            table.append((row["fingerprint"][:12], "-", "-", "-", f"damaged: {row['damaged']}", "", ""))
            continue
        built = row.get("built") or {}
        used = time.strftime("%Y-%m-%d %H:%M", time.gmtime(row["last_used"]))
        table.append((row["fingerprint"][:12], str(row.get("stage")), str(row.get("kind")),
                      f"{row['size'] / 2**20:.1f} MB", str(built.get("run_dir")), str(built.get("finished_at")), used))
    widths = [max(len(_one_line(r[i])) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(_one_line(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    print(f"{len(rows)} entries, {sum(r.get('size', 0) for r in rows) / 2**20:.1f} MB in {cache.root}")
    return 0


def _cmd_cache_prune(args) -> int:
    cache = _stage_cache(args)
    removed = cache.prune(args.older_than, args.all)
    print(f"{cache.root}: removed {removed['entries']} entries ({removed['bytes'] / 2**20:.1f} MB) and "
          f"{removed['leftovers']} interrupted stores")
    return 0


def _cmd_report_compare(args) -> int:
    from workbench.comparison import compare_markdown, compare_runs

    print(compare_markdown(compare_runs(Path(args.before), Path(args.after), args.stage)), end="")
    return 0


def _cmd_report_seeds(args) -> int:
    from workbench.seeds import write_seeds_report

    report = write_seeds_report(Path(args.dir), args.stage)
    for claim in report["claims"]:
        print(f"{claim['claim']}: holds on {claim['holds']} of {claim['of']} seeds")
    print(f"[workbench] wrote {Path(args.dir) / 'seeds.md'} and {Path(args.dir) / 'seeds.json'}")
    return 0


def _cmd_recipe_check(args) -> int:
    from workbench.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    print(f"{args.recipe}: ok ({recipe.name}: {len(recipe.models)} models, {len(recipe.stages)} stages: "
          f"{' -> '.join(s.stage_name for s in recipe.stages)})")
    return 0


def _cmd_recipe_schema(args) -> int:
    from workbench.recipe_docs import recipe_json_schema

    print(json.dumps(recipe_json_schema(), indent=2))
    return 0


def _cmd_tokenizer_train(args) -> int:
    from workbench.paths import claim_output_dir
    from workbench.tokenizer import TOKENIZER_FILES, train_tokenizer

    claim_output_dir(args.out, "tokenizer train", TOKENIZER_FILES)
    tok = train_tokenizer([Path(c) for c in args.corpus], vocab_size=args.vocab_size, out_dir=Path(args.out), seed=args.seed)
    print(f"tokenizer with {len(tok)} tokens written to {args.out}")
    return 0


def _cmd_data_validate(args) -> int:
    from workbench.rubric import validate

    info = validate(Path(args.file), expect=args.expect)
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
    p.add_argument("-v", "--verbose", action="store_true",
                   help="debug logging, and everything libraries print (by default it goes to each stage's log.txt)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a recipe (skips finished stages, resumes interrupted ones)")
    r.add_argument("recipe")
    r.add_argument("--run-dir", help="run directory (default runs/<recipe name>)")
    r.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="show everything libraries print (progress bars, warnings, per-step logs) instead of one "
                        "line per stage; by default that goes to each stage's log.txt")
    r.add_argument("--only", help="comma-separated stage names to run (their inputs must be done)")
    r.add_argument("--launcher", choices=("local", "accelerate"),
                   help="local: every stage in this process (the default); accelerate: each training stage as an "
                        "`accelerate launch` job (default: the recipe's `launcher:` block, if any)")
    r.add_argument("--accelerate-config", metavar="FILE",
                   help="accelerate config for the training stages, e.g. recipes/accelerate/multi_gpu.yaml")
    r.add_argument("--num-processes", type=int, metavar="N", help="processes per training stage (overrides the config)")
    r.add_argument("--cache", metavar="DIR", help="the stage cache shared across run directories: a stage whose "
                   "fingerprint it holds is taken from it, not recomputed (default: $WORKBENCH_CACHE/stages, else "
                   "~/.cache/workbench/stages)")
    r.add_argument("--no-cache", action="store_true", help="neither read nor fill the stage cache")
    r.add_argument("--seeds", metavar="S,S,...", help="run the recipe once per seed (the recipe's `seed`; stages "
                   "that pin their own keep it, and are shared through the stage cache) into RUN_DIR/seed-S, then "
                   "write RUN_DIR/seeds.md and seeds.json (default RUN_DIR: runs/<recipe name>-seeds)")
    r.set_defaults(fn=_cmd_run, overrides=[])  # `key.path=value` arguments anywhere after the recipe (see main)
    r.epilog = "Trailing key.path=value arguments override recipe values, e.g. seed=3 stages.sft.train.lr=1e-4."

    ca = sub.add_parser("cache", help="the stage cache: list or prune its entries"
                        ).add_subparsers(dest="sub", required=True, parser_class=_Parser)
    cl = ca.add_parser("ls", help="every entry: stage, kind, size, which run built it and when, when last used")
    cl.add_argument("--cache", metavar="DIR", help="the cache folder (default as for `workbench run`)")
    cl.set_defaults(fn=_cmd_cache_ls, no_cache=False)
    cp = ca.add_parser("prune", help="remove interrupted stores and damaged entries; with --older-than or --all, more")
    cp.add_argument("--cache", metavar="DIR", help="the cache folder (default as for `workbench run`)")
    cp.add_argument("--older-than", type=bounded_int(0, 100_000), metavar="DAYS",
                    help="also remove entries not used for this many days")
    cp.add_argument("--all", action="store_true", help="remove every entry")
    cp.set_defaults(fn=_cmd_cache_prune, no_cache=False)

    rp = sub.add_parser("report", help="reports over runs").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    rs = rp.add_parser("seeds", help="DIR/seed-*/: each stage's paired gain per seed and as mean ± sd, and each claim "
                       "as 'holds on k of n seeds' (writes DIR/seeds.md and DIR/seeds.json)")
    rs.add_argument("dir", help="the folder `workbench run --seeds` wrote (holding seed-0/, seed-1/, ...)")
    rs.add_argument("--stage", default="evaluate", help="the evaluate stage whose report.json is read (default evaluate)")
    rs.set_defaults(fn=_cmd_report_seeds)
    rc = rp.add_parser("compare", help="two `--seeds` folders of a recipe, a candidate against its baseline: each "
                       "model's paired gain per seed and pooled, and the claims in both (prints markdown)")
    rc.add_argument("before", help="the baseline's folder (holding seed-0/, seed-1/, ...)")
    rc.add_argument("after", help="the candidate's folder")
    rc.add_argument("--stage", default="evaluate", help="the evaluate stage whose report.json is read (default evaluate)")
    rc.set_defaults(fn=_cmd_report_compare)

    st = sub.add_parser("status", help="a run directory's stages: state, wall time, key metric (reads files only)")
    st.add_argument("run_dir")
    st.set_defaults(fn=_cmd_status)

    rc = sub.add_parser("recipe", help="recipe tools").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    c = rc.add_parser("check", help="validate a recipe without running it")
    c.add_argument("recipe")
    c.set_defaults(fn=_cmd_recipe_check, overrides=[])
    rc.add_parser("schema", help="print the recipe's JSON schema (for editors; docs/recipes.md is its reference)"
                  ).set_defaults(fn=_cmd_recipe_schema)

    tk = sub.add_parser("tokenizer", help="tokenizer tools").add_subparsers(dest="sub", required=True, parser_class=_Parser)
    t = tk.add_parser("train", help="train a SentencePiece tokenizer with Gemma's control tokens and chat template")
    t.add_argument("--corpus", nargs="+", required=True, help="plain-text files")
    t.add_argument("--vocab-size", type=int, default=4096)
    t.add_argument("--out", required=True)
    t.add_argument("--seed", type=seed_arg, default=0)
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
    g.add_argument("--n", type=bounded_int(1, 1_000_000), default=2000, help="training examples per split scale")
    g.add_argument("--seed", type=seed_arg, default=0)
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
    if not args.verbose:
        from workbench.console import quiet_libraries

        quiet_libraries(outside_run=args.command != "run")
    try:
        return args.fn(args)
    except WorkbenchError as e:
        lines = e.lines[:MAX_PROBLEM_LINES] or ["(no message)"]
        if len(e.lines) > MAX_PROBLEM_LINES:
            lines.append(f"... and {len(e.lines) - MAX_PROBLEM_LINES} more problems")
        sys.stderr.write("".join(f"{getattr(e, 'prefix', 'error')}: {_one_line(line)}\n" for line in lines))
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except OSError as e:
        if e.filename is None:
            return _internal_error(e, args.verbose)
        names = " -> ".join(str(f) for f in (e.filename, e.filename2) if f is not None)
        sys.stderr.write(f"error: {_one_line(names)}: {_one_line(e.strerror or type(e).__name__)}\n")
        return 2
    except Exception as e:  # noqa: BLE001 (the one place that turns a bug into a short message)
        return _internal_error(e, args.verbose)


def _internal_error(exc: BaseException, verbose: bool) -> int:
    """A bug, not bad input: write the traceback to a log file, print one line naming it, exit 1."""
    text = "".join(traceback.format_exception(exc))
    log = Path(tempfile.gettempdir()) / f"workbench-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        log.write_text(f"workbench {' '.join(sys.argv[1:])}\n{text}", encoding="utf-8", errors="backslashreplace")
        where = f"traceback in {log}"
    except OSError:
        where = "run with -v for the traceback"
    if verbose:
        sys.stderr.write(text)
    first = _one_line(str(exc).splitlines()[0] if str(exc) else "")[:200]
    sys.stderr.write(f"internal error (a bug in workbench, please report it): {type(exc).__name__}: {first} ({where})\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
