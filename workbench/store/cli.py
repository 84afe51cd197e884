"""`workbench ratings import|export`, `workbench filter-decisions import|overrides` and `workbench ui`.

Every command takes `--db URL` (a SQLAlchemy URL or a SQLite path; default runs/workbench.db).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from workbench.errors import WorkbenchError

UI_APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


def _db_option(parser) -> None:
    parser.add_argument("--db", help="database URL or SQLite file (default runs/workbench.db)")


@contextmanager
def _store_for_import(db):
    """The store to import into (created if need be); if the import fails, a SQLite file this created is removed
    again, so a bad input file never leaves an empty store behind."""
    from sqlalchemy.engine import make_url

    from workbench.store import open_store
    from workbench.store.db import database_url

    parsed = make_url(database_url(db))
    new_file = (Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database
                and not Path(parsed.database).exists() else None)
    store = open_store(db)
    try:
        yield store
    except BaseException:
        store.close()
        if new_file is not None:
            for leftover in (new_file, *new_file.parent.glob(new_file.name + "-*")):  # -wal, -shm, -journal
                leftover.unlink(missing_ok=True)
        raise
    store.close()


def _check_out_file(out: str) -> None:
    """--out names a file to (re)write: not a folder, FIFO or device, and in a folder that exists."""
    path = Path(out)
    if path.exists() and not path.is_file():
        raise WorkbenchError(f"--out {out}: exists and is not a regular file (a folder, FIFO or device); "
                             "give a file name")
    if not path.parent.is_dir():
        raise WorkbenchError(f"--out {out}: folder {path.parent} does not exist; create it first")


def _cmd_ratings_import(args) -> int:
    from workbench.store.preference_io import import_file

    with _store_for_import(args.db) as store:
        result = import_file(store, args.file, rater=args.rater)
    what = (f"{result.comparisons} comparisons by {args.rater!r}" if result.kind == "preference"
            else "to rate")
    print(f"{args.file}: {result.rows} {result.kind} rows, {result.pairs} new pairs, {what}")
    return 0


def _cmd_ratings_export(args) -> int:
    from workbench.store import open_store
    from workbench.store.preference_io import export_file

    _check_out_file(args.out)
    rows = export_file(open_store(args.db, create=False), args.out, aggregate=args.aggregate)
    print(f"{args.out}: {rows} preference rows (conversational prompt/chosen/rejected)")
    return 0


def _cmd_decisions_import(args) -> int:
    from workbench.store.filters import import_decisions

    with _store_for_import(args.db) as store:
        rows = import_decisions(store, args.dir)
    print(f"{args.dir}: {rows} filter decisions imported")
    return 0


def _cmd_decisions_overrides(args) -> int:
    from workbench.atomic import write_json
    from workbench.store import open_store
    from workbench.store.filters import overrides_document

    _check_out_file(args.out)
    document = overrides_document(open_store(args.db, create=False))
    write_json(args.out, document)
    print(f"{args.out}: {len(document['overrides'])} overrides")
    return 0


def _cmd_ui(args) -> int:
    from workbench.store import database_url, open_store
    from workbench.store.runs import register_run

    store = open_store(args.db)  # create or migrate first, so a bad --db is a one-line error here
    if args.run_dir:
        register_run(store, args.run_dir)
    store.close()
    if importlib.util.find_spec("streamlit") is None:
        raise WorkbenchError("the UI needs streamlit, which is not installed; run: pip install streamlit")
    env = {**os.environ, "WORKBENCH_DB": database_url(args.db)}
    if args.run_dir:
        env["WORKBENCH_RUN_DIR"] = str(Path(args.run_dir).resolve())
    command = [sys.executable, "-m", "streamlit", "run", str(UI_APP), "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    print(f"[workbench] UI at http://localhost:{args.port}  (store {env['WORKBENCH_DB']})", flush=True)
    return subprocess.call(command, env=env)


def add_commands(sub) -> None:
    """Register this package's subcommands on the main parser's subparsers."""
    ratings = sub.add_parser("ratings", help="the preference store: import and export ratings")
    commands = ratings.add_subparsers(dest="sub", required=True, parser_class=type(ratings))
    i = commands.add_parser("import", help="add a TRL preference file (as rated) or response pairs (to rate)")
    i.add_argument("file")
    i.add_argument("--rater", default="imported", help="rater name for a preference file's choices (default imported)")
    _db_option(i)
    i.set_defaults(fn=_cmd_ratings_import)
    e = commands.add_parser("export", help="write a conversational TRL preference dataset for reward / dpo")
    e.add_argument("--out", required=True, help="output .jsonl")
    e.add_argument("--aggregate", choices=("each", "majority"), default="each",
                   help="each: one row per comparison; majority: one row per pair, majority vote (default each)")
    _db_option(e)
    e.set_defaults(fn=_cmd_ratings_export)

    decisions = sub.add_parser("filter-decisions", help="safety-filter decisions in the store, and overrides")
    commands = decisions.add_subparsers(dest="sub", required=True, parser_class=type(decisions))
    d = commands.add_parser("import", help="import a safety filter's output folder (decisions.jsonl)")
    d.add_argument("dir")
    _db_option(d)
    d.set_defaults(fn=_cmd_decisions_import)
    o = commands.add_parser("overrides", help="write the overrides file the filter stage reads")
    o.add_argument("--out", required=True, help="output .json")
    _db_option(o)
    o.set_defaults(fn=_cmd_decisions_overrides)

    u = sub.add_parser("ui", help="start the rating and inspection UI (Streamlit)")
    _db_option(u)
    u.add_argument("--run-dir", help="a run directory to show (its filter decisions are imported)")
    u.add_argument("--port", type=int, default=8501)
    u.set_defaults(fn=_cmd_ui)
