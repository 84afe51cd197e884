"""`workbench filter INPUT --out DIR`: the safety filters as a command (outputs in `workbench.safety.filtering`).

The input is read and checked exactly as `workbench data validate` does (same formats, same one-line errors).
Settings: the default rules and identity, or with `--recipe` the recipe's `identity` and the `rules` of its
`filter` stage (`--stage NAME` when it has several); `--rules` then runs only the rules named.

`workbench safety train-classifier [DATA] [--extra FILE] [--model gemma3-270m] --out FILE.safetensors` trains the
`unsafe` rule's classifier (`workbench.safety.classifier`, the hashed-n-gram model, or with `--model gemma3-270m`
a head on Gemma 3 features, `workbench.safety.gemma_classifier`, written with FILE.json beside it, fitted on DATA
and each `--other-set FILE` (by default the shipped validation set and the two hand-written training sets, each
written apart), its threshold chosen by leave-one-set-out among them; DATA defaults to the shipped training set)
that `--classifier FILE` then uses. Otherwise the shipped one is used (the Gemma head when the Gemma 3 extra is
installed); `--classifier hashed-n-gram` / `gemma3-270m` picks a shipped one, `none` leaves the lexicon alone.
`workbench safety calibrate SET... --out FILE.safetensors` writes a copy of a Gemma head (the shipped one, or
`--classifier`) whose threshold is chosen on labelled sets it was not trained on.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.paths import bounded_int, fraction_arg, seed_arg


def add_commands(sub) -> None:
    """Register this package's subcommands on the main parser's subparsers."""
    f = sub.add_parser("filter", help="drop or redact PII, unsafe responses, wrong self-identification and duplicates, "
                                      "recording every decision")
    f.add_argument("input", help="a dataset file in any format `data validate` accepts")
    f.add_argument("--out", required=True, help="folder for kept.jsonl, rejected.jsonl, decisions.jsonl, summary.json")
    f.add_argument("--recipe", help="take the identity and the filter stage's rules from this recipe")
    f.add_argument("--stage", help="which filter stage of --recipe, when it has several")
    f.add_argument("--rules", help="comma-separated rules to run: pii,unsafe,self_id,duplicate (default: all, or the "
                                   "recipe stage's)")
    f.add_argument("--overrides", help='JSON file of decisions made by a person: {"overrides": [{"key", "action": '
                                       '"keep" | "drop", "who", "why", "at"}]}')
    f.add_argument("--classifier", help="the unsafe classifier: a file from `workbench safety train-classifier`, "
                                        "a shipped one by name (gemma3-270m, hashed-n-gram), or `none` for the lexicon "
                                        "alone (default: gemma3-270m when the Gemma 3 extra is installed)")
    f.set_defaults(fn=_cmd_filter)

    safety = sub.add_parser("safety", help="safety filter tools")
    tools = safety.add_subparsers(dest="sub", required=True, parser_class=type(safety))
    t = tools.add_parser("train-classifier", help="train the unsafe rule's classifier on an unpaired-preference file "
                                                  "(label false = unsafe completion)")
    t.add_argument("data", nargs="?", help="unpaired-preference dataset: prompt, completion, label, optional "
                                           "meta.category (default: the shipped training set)")
    t.add_argument("--extra", action="append", default=[],
                   help="more unpaired-preference rows, e.g. raters' unsafe flags from `workbench ratings export "
                        "--unsafe-flags` (repeatable)")
    t.add_argument("--out", required=True, help="classifier file to write (FILE.safetensors; the Gemma head also "
                                                "writes FILE.json)")
    t.add_argument("--model", choices=("hashed-n-gram", "gemma3-270m"), default="hashed-n-gram",
                   help="hashed-n-gram (needs nothing extra) or gemma3-270m (a head on Gemma 3 270M hidden states; "
                        "needs the Gemma 3 extra; the features of the data are computed once and cached)")
    t.add_argument("--layer", type=bounded_int(0, 18), default=None,
                   help="gemma3-270m: the hidden layer pooled, 0 (embeddings) to 18 (default: the measured best, docs/safety.md)")
    t.add_argument("--pooling", choices=("mean", "last", "mean+last"), default=None,
                   help="gemma3-270m: mean over the response tokens, the last token, or both concatenated (default: "
                        "the measured best)")
    t.add_argument("--other-set", "--second-set", dest="other_sets", action="append", default=None,
                   help="gemma3-270m: another unpaired-preference file written apart from DATA (repeatable): each "
                        "set is scored by a head fitted on the others, the threshold is chosen on those pooled "
                        "scores, then the head is fitted on all (default: the shipped validation set and the two "
                        "hand-written training sets; docs/safety.md)")
    t.add_argument("--calibrate-on", dest="calibration_sets", action="append", default=None,
                   help="gemma3-270m: labelled files written apart from every training set (repeatable): instead of "
                        "leave-one-set-out, fit once on DATA and the other sets and choose the threshold on these "
                        "(as `workbench safety calibrate` does; they are never trained on)")
    t.add_argument("--lora", choices=("on", "off"), default=None,
                   help="gemma3-270m: also adapt the layers below the head with LoRA (on, the default; about 8 "
                        "minutes per fit on 2 CPU cores, one fit per set plus the final one) or fit the head alone on "
                        "the frozen, cached features (off: seconds once the features are cached)")
    t.add_argument("--start-from", dest="start_from", default=None,
                   help="gemma3-270m: a LoRA head (FILE.safetensors, e.g. the shipped "
                        "workbench/safety/data/unsafe_gemma_head.safetensors) to train one more pass from its "
                        "adapters and linear head, on DATA and the other sets (needs --calibrate-on, on sets it "
                        "was never trained on)")
    t.add_argument("--lora-fraction", dest="lora_fraction", type=fraction_arg, default=None,
                   help="gemma3-270m: train the LoRA pass on a seeded random fraction of the examples, drawn across "
                        "every set (default 1: all of them); every set still counts as trained on")
    t.add_argument("--epochs", type=bounded_int(1, 100_000), default=60, help="hashed-n-gram: training epochs")
    t.add_argument("--seed", type=seed_arg, default=0)
    t.set_defaults(fn=_cmd_train_classifier)
    c = tools.add_parser("calibrate", help="choose a Gemma head's threshold on labelled sets it was not trained on "
                                           "(your own data, written apart from its training sets) and write a copy")
    c.add_argument("sets", nargs="+", help="unpaired-preference files (label false = unsafe completion) the head was "
                                           "not trained on")
    c.add_argument("--classifier", help="the Gemma head to calibrate, FILE.safetensors (default: the shipped one)")
    c.add_argument("--min-recall", type=fraction_arg, default=None,
                   help="the recall the threshold must keep on the sets pooled, each set weighing the same (default: "
                        "the training rule's 0.97)")
    c.add_argument("--out", required=True, help="where the calibrated copy goes (FILE.safetensors, with FILE.json)")
    c.set_defaults(fn=_cmd_calibrate)


def _settings(args):
    from workbench.recipe import load_recipe
    from workbench.safety.filtering import RULES, Rules
    from workbench.identity import DEFAULT_IDENTITY

    rules, identity = Rules.all(), DEFAULT_IDENTITY
    if args.stage and not args.recipe:
        raise WorkbenchError("--stage names a filter stage of a recipe; give --recipe too")
    if args.recipe:
        recipe = load_recipe(args.recipe)
        identity = recipe.identity
        stages = [s for s in recipe.stages if s.kind == "filter"]
        if args.stage:
            stages = [s for s in stages if s.stage_name == args.stage]
            if not stages:
                raise WorkbenchError(f"--stage {args.stage}: {args.recipe} has no filter stage of that name")
        if len(stages) > 1:
            names = ", ".join(s.stage_name for s in stages)
            raise WorkbenchError(f"{args.recipe} has several filter stages ({names}); pick one with --stage NAME")
        if stages:
            rules = stages[0].rules
    if args.rules is not None:
        names = [r.strip() for r in args.rules.split(",") if r.strip()]
        unknown = [r for r in names if r not in RULES]
        if unknown or not names:
            raise WorkbenchError(f"--rules {args.rules}: unknown rule {', '.join(unknown) or '(none given)'}; "
                                 f"choose from {','.join(RULES)}")
        rules = rules.only(names)
    return rules, identity


FILTER_OUTPUTS = ("kept.jsonl", "rejected.jsonl", "decisions.jsonl", "summary.json")


def _check_out_dir(out: Path) -> None:
    """The output folder is replaced as a whole: refuse one holding anything but an earlier filter's output."""
    from workbench.paths import claim_output_dir

    claim_output_dir(out, "filter", FILTER_OUTPUTS)


def _cmd_filter(args) -> int:
    from workbench.data import detect, read_records
    from workbench.safety.filtering import filter_records, load_overrides, load_unsafe_classifier, write_outputs

    rules, identity = _settings(args)
    out = Path(args.out)
    _check_out_dir(out)
    records = read_records(args.input)
    info = detect(records, args.input)
    overrides = load_overrides(Path(args.overrides)) if args.overrides else None
    classifier = None
    if args.classifier == "none":
        if rules.unsafe is not None:
            rules = rules.model_copy(update={"unsafe": rules.unsafe.model_copy(update={"classifier": False})})
    elif args.classifier:
        classifier = load_unsafe_classifier(args.classifier)
    result = filter_records(records, rules, identity, overrides, records.lines, classifier)
    summary = write_outputs(result, out, {"input": str(args.input), "type": info.type, "form": info.form,
                                          "classifier": args.classifier})
    per_rule = ", ".join(f"{rule} {n['dropped'] + n['redacted']}" for rule, n in summary["rules"].items())
    print(f"{args.input}: {summary['records']} records: kept {summary['kept']}, redacted {summary['redacted']}, "
          f"dropped {summary['dropped']} ({per_rule}); written to {out}")
    return 0


def _check_out_file(out: Path, model: str) -> None:
    """--out names the classifier file to (re)write (and, for the Gemma head, FILE.json beside it): no folder, FIFO
    or device; its folder exists. Checked before training, which may take minutes."""
    files = [out] if model == "hashed-n-gram" else [out, out.with_suffix(".json")]
    if model != "hashed-n-gram" and out.suffix == ".json":
        raise WorkbenchError(f"--out {out}: the head's settings go to FILE.json beside it; name the head "
                             "FILE.safetensors")
    for path in files:
        if path.exists() and not path.is_file():
            raise WorkbenchError(f"--out {out}: {path} exists and is not a regular file (a folder, FIFO or device); "
                                 "give another file name")
    if not out.parent.is_dir():
        raise WorkbenchError(f"--out {out}: folder {out.parent} does not exist; create it first")


def _cmd_train_classifier(args) -> int:
    from workbench.data import read_records, validate_file
    from workbench.safety.classifier import train_classifier

    from workbench.safety.labelled import TRAIN_FILE, TRAIN_WRITTEN_A_FILE, TRAIN_WRITTEN_B_FILE, VALIDATION_FILE

    out = Path(args.out)
    _check_out_file(out, args.model)
    if args.model == "gemma3-270m":
        from workbench.safety import gemma_classifier

        gemma_classifier.require_available()
    elif any(v is not None for v in (args.layer, args.pooling, args.other_sets, args.calibration_sets, args.lora,
                                     args.start_from, args.lora_fraction)):
        raise WorkbenchError("--layer, --pooling, --other-set, --calibrate-on, --lora, --lora-fraction and "
                             "--start-from are settings of --model gemma3-270m")
    if args.start_from is not None and not args.calibration_sets:
        raise WorkbenchError("--start-from needs --calibrate-on: leave-one-set-out would score sets the head to "
                             "start from was trained on")
    if args.start_from is not None and args.lora == "off":
        raise WorkbenchError("--start-from trains a head's LoRA adapters further; it cannot go with --lora off")
    if args.lora_fraction is not None and args.lora == "off":
        raise WorkbenchError("--lora-fraction is the share of examples the LoRA pass trains on; it cannot go with "
                             "--lora off")
    records = []
    for path in [args.data or TRAIN_FILE, *args.extra]:
        validate_file(path, expect="unpaired_preference")
        records += list(read_records(path))
    others: list[tuple[str, list[dict]]] = []
    calibration: list[tuple[str, list[dict]]] = []
    if args.model == "gemma3-270m":
        seen = {_row_text(r) for r in records}
        for option, paths, into in [
                ("--other-set", args.other_sets or [VALIDATION_FILE, TRAIN_WRITTEN_A_FILE, TRAIN_WRITTEN_B_FILE], others),
                ("--calibrate-on", args.calibration_sets or [], calibration)]:
            for path in paths:
                validate_file(path, expect="unpaired_preference")
                rows = list(read_records(path))
                shared = sum(_row_text(r) in seen for r in rows)
                if shared:
                    raise WorkbenchError(f"{option} {path}: {shared} of its rows are also in the training data or "
                                         "another set; each set's rows must be scored by a head that was not fitted "
                                         "on them")
                seen |= {_row_text(r) for r in rows}
                into.append((str(path), rows))
    unsafe = sum(not r["label"] for r in records)
    if unsafe in (0, len(records)):
        raise WorkbenchError(f"{args.data}: every label is {str(not unsafe).lower()}; the classifier needs safe "
                             "(label true) and unsafe (label false) completions")
    if args.model == "gemma3-270m":
        model = _train_gemma(records, others, calibration, args)
    else:
        model = train_classifier(records, epochs=args.epochs, seed=args.seed)
    model.save(out)
    if calibration:
        chosen = "chosen on " + "; ".join(f"{s['name']} (precision {s['precision']}, recall {s['recall']})"
                                          for s in model.info["calibration"]["sets"])
    elif others:
        folds = "; ".join(f"{f['scored']} by a head fitted on {f['fitted_on']}: precision {f['precision']}, recall "
                          f"{f['recall']}" for f in model.info["out_of_set"]["folds"])
        chosen = f"chosen by leave-one-set-out ({folds})"
    else:
        chosen = (f"chosen on {model.info['validation_rows']} validation examples (precision "
                  f"{model.info['validation']['precision']}, recall {model.info['validation']['recall']})")
    print(f"unsafe classifier trained on {model.info['rows']} examples of {len(records) + sum(len(r) for _, r in others)}"
          f" rows; threshold {model.threshold:.4f} {chosen}; written to {args.out}")
    return 0


def _cmd_calibrate(args) -> int:
    from workbench.data import read_records, validate_file
    from workbench.safety import gemma_classifier as gc

    gc.require_available()
    out = Path(args.out)
    _check_out_file(out, "gemma3-270m")
    head = gc.load_gemma_classifier(Path(args.classifier) if args.classifier else None)
    trained_on = gc.trained_on_hashes(head)
    sets = []
    for path in args.sets:
        validate_file(path, expect="unpaired_preference")
        rows = list(read_records(path))
        if gc.data_hash(rows) in trained_on:
            raise WorkbenchError(f"{path}: the head was trained on this set; calibrate on data it has not seen")
        sets.append((Path(path).name, rows))
    calibrated = gc.calibrate(head, sets, args.min_recall or gc.TARGET_RECALL)
    calibrated.save(out)
    counts = "; ".join(f"{s['name']}: precision {s['precision']}, recall {s['recall']}"
                       for s in calibrated.info["calibration"]["sets"])
    print(f"threshold {head.threshold:.4f} -> {calibrated.threshold:.4f} ({counts}); written to {out}")
    return 0


def _row_text(row: dict) -> str:
    return json.dumps([row["prompt"], row["completion"]], sort_keys=True, ensure_ascii=False)


def _train_gemma(records: list[dict], others: list[tuple[str, list[dict]]], calibration: list[tuple[str, list[dict]]],
                 args):
    from workbench.safety import gemma_classifier as gc
    from workbench.safety.labelled import TRAIN_FILE

    layer = args.layer if args.layer is not None else gc.DEFAULT_LAYER
    pooling = args.pooling or gc.DEFAULT_POOLING
    start = None
    if args.start_from is not None:
        start = gc.load_gemma_classifier(Path(args.start_from))
        from workbench.safety.gemma_lora import RANK

        if start.lora is None or start.lora.get("rank") != RANK:
            raise WorkbenchError(f"--start-from {args.start_from}: not a LoRA head of rank {RANK} (it has no "
                                 "adapters this trainer can train further); train one with --lora on")
        if (args.layer is not None and args.layer != start.layer) or (args.pooling and args.pooling != start.pooling):
            raise WorkbenchError(f"--start-from {args.start_from}: the head reads layer {start.layer} "
                                 f"({start.pooling}); leave --layer and --pooling out, or give those")
        layer, pooling = start.layer, start.pooling
        trained_on = gc.trained_on_hashes(start)
        for path, rows in calibration:
            if gc.data_hash(rows) in trained_on:
                raise WorkbenchError(f"--calibrate-on {path}: the head to start from was trained on this set; "
                                     "calibrate on data it has not seen")
    if args.lora != "off" and not 1 <= layer < 18:
        raise WorkbenchError(f"--layer {layer}: LoRA adapts the decoder layers below the head's, so the layer must be "
                             "1 to 17 (or --lora off)")
    first = " + ".join(Path(p).name for p in [args.data or TRAIN_FILE, *args.extra])
    sets = [gc.labelled_set(name, rows, layer, pooling, features=start is None)
            for name, rows in [(first, records), *((Path(path).name, rows) for path, rows in others)]]
    adapt = None
    if args.lora != "off":
        from functools import partial

        from workbench.safety.gemma_lora import adapt

        adapt = partial(adapt, fraction=args.lora_fraction or 1.0)
    if calibration:  # one fit on every set, the threshold from sets it never saw
        head = gc.fit_on_all(sets, layer, pooling, gc.L2, args.seed, gc.data_hash(records), adapt, 0.5, start)
        return gc.calibrate(head, [(Path(path).name, rows) for path, rows in calibration])
    return gc.train_gemma_classifier(sets, layer, pooling, gc.L2, seed=args.seed,
                                     data_sha256=gc.data_hash(records), adapt=adapt)
