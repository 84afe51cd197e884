"""`workbench ratings import|export|gold|guidelines|overlap|tokens`, `workbench filter-decisions import|overrides`
and `workbench ui`.

Every command takes `--db URL` (a SQLAlchemy URL or a SQLite path; default runs/workbench.db). Commands that add
to the store create it if need be (and remove it again if they fail); the others, `workbench ui` included, need an
existing store. `workbench ui` listens on 127.0.0.1 unless `--host` says otherwise; then every user logs in with a
token (see `workbench.store.access`). It replaces itself with the Streamlit server (exec), so a signal to its process
id reaches the server itself and nothing is left listening.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from workbench.errors import WorkbenchError


def ui_app() -> Path:
    """The Streamlit app's entry script: `workbench.ui` in an installed package (setup.py maps `ui/` there), or
    `ui/` next to `workbench/` when the package is imported straight from a checkout (PYTHONPATH, tests)."""
    try:
        app = Path(str(importlib.resources.files("workbench.ui").joinpath("app.py")))
    except ModuleNotFoundError:
        app = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    if not app.is_file():
        raise WorkbenchError(f"the UI's app.py is missing (looked for {app}); this installation of workbench is "
                             "incomplete: reinstall it (pip install --force-reinstall workbench, or pip install . "
                             "in a checkout)")
    return app


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


def _check_out_file(out: str, flag: str = "--out") -> None:
    """`flag` names a file to (re)write: not a folder, FIFO or device, and in a folder that exists."""
    path = Path(out)
    if path.exists() and not path.is_file():
        raise WorkbenchError(f"{flag} {out}: exists and is not a regular file (a folder, FIFO or device); "
                             "give a file name")
    if not path.parent.is_dir():
        raise WorkbenchError(f"{flag} {out}: folder {path.parent} does not exist; create it first")


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
    from workbench.store.preference_io import export_file, export_unsafe_flags

    if not args.out and not args.unsafe_flags:
        raise WorkbenchError("ratings export: give --out FILE.jsonl (preferences), --unsafe-flags FILE.jsonl "
                             "(raters' unsafe flags as labelled data), or both")
    for flag, out in (("--out", args.out), ("--unsafe-flags", args.unsafe_flags)):
        if out:
            _check_out_file(out, flag)
    store = open_store(args.db, create=False)
    try:
        if args.out:
            rows = export_file(store, args.out, aggregate=args.aggregate)
            print(f"{args.out}: {rows} preference rows (conversational prompt/chosen/rejected)")
        if args.unsafe_flags:
            rows, flagged = export_unsafe_flags(store, args.unsafe_flags)
            print(f"{args.unsafe_flags}: {rows} unpaired-preference rows (prompt/completion/label), "
                  f"{flagged} flagged unsafe (label false)")
    finally:
        store.close()
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


def _cmd_ratings_gold(args) -> int:
    from workbench.store.gold import import_gold

    with _store_for_import(args.db) as store:
        rows, new = import_gold(store, args.file)
    print(f"{args.file}: {rows} gold pairs, {new} new")
    return 0


def _cmd_ratings_guidelines(args) -> int:
    from workbench.store.ratings import set_setting

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise WorkbenchError(f"{path}: cannot read the guidelines ({getattr(e, 'strerror', None) or e}); give a "
                             "UTF-8 text file") from None
    with _store_for_import(args.db) as store:
        set_setting(store, "guidelines", text.strip())
    print(f"{path}: guidelines set ({len(text.strip())} characters); raters see them beside each pair")
    return 0


def _cmd_ratings_overlap(args) -> int:
    from workbench.store.ratings import set_overlap

    with _store_for_import(args.db) as store:
        set_overlap(store, args.raters)
    print(f"each pair is now rated by {args.raters} raters")
    return 0


def _cmd_tokens_add(args) -> int:
    from workbench.store.access import add_token

    with _store_for_import(args.db) as store:
        token = add_token(store, args.name, admin=args.admin)
    role = "admin" if args.admin else "rater"
    print(f"token for {args.name.strip()} ({role}); it is shown only now, give it to them:\n{token}")
    return 0


def _cmd_tokens_list(args) -> int:
    from workbench.store import open_store
    from workbench.store.access import tokens

    for user in tokens(open_store(args.db, create=False)):
        print(f"{user.name}\t{'admin' if user.admin else 'rater'}")
    return 0


def _cmd_tokens_remove(args) -> int:
    from workbench.store import open_store
    from workbench.store.access import remove_token

    remove_token(open_store(args.db, create=False), args.name)
    print(f"{args.name}: token removed")
    return 0


def _cmd_ui(args) -> int:
    from workbench.store import database_url, open_store
    from workbench.store.access import has_tokens, is_loopback
    from workbench.store.runs import register_run

    app = ui_app()  # an installation without the UI: one line, before anything else
    store = open_store(args.db, create=False)  # an existing store of ours, else one line here (and no new file)
    try:
        if not is_loopback(args.host) and not has_tokens(store):
            raise WorkbenchError(f"--host {args.host}: the UI then needs a login, and the store has no tokens yet; "
                                 "add one first: workbench ratings tokens add NAME --admin")
        run_dirs = [str(Path(run_dir).resolve()) for run_dir in args.run_dir]
        for run_dir in run_dirs:
            register_run(store, run_dir)
    finally:
        store.close()
    if importlib.util.find_spec("streamlit") is None:
        raise WorkbenchError("the UI needs streamlit, which is not installed; run: pip install streamlit")
    env = {**os.environ, "WORKBENCH_DB": database_url(args.db), "WORKBENCH_HOST": args.host,
           "WORKBENCH_RUN_DIRS": os.pathsep.join(run_dirs)}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", args.host,
               "--server.port", str(args.port), "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "minimal"]
    if not is_loopback(args.host):
        print(f"[workbench] warning: listening on {args.host}: anyone who can reach this machine can open the UI; "
              "each user must log in with a token (workbench ratings tokens add NAME)", file=sys.stderr, flush=True)
    print(f"[workbench] UI at http://{'localhost' if is_loopback(args.host) else args.host}:{args.port}  "
          f"(store {env['WORKBENCH_DB']})", flush=True)
    os.execve(sys.executable, command, env)  # the server takes this process over: signals reach it directly


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
    e.add_argument("--out", help="output .jsonl: preference rows")
    e.add_argument("--unsafe-flags", metavar="FILE", help="output .jsonl: raters' unsafe flags as unpaired-preference "
                                                          "rows (prompt, completion, label; false = flagged unsafe)")
    e.add_argument("--aggregate", choices=("each", "majority"), default="each",
                   help="each: one row per comparison; majority: one row per pair, majority vote (default each)")
    _db_option(e)
    e.set_defaults(fn=_cmd_ratings_export)
    g = commands.add_parser("gold", help="add gold pairs (preference rows whose chosen response is the right answer)")
    g.add_argument("file")
    _db_option(g)
    g.set_defaults(fn=_cmd_ratings_gold)
    gl = commands.add_parser("guidelines", help="set the guidelines text shown to raters beside each pair")
    gl.add_argument("file", help="a UTF-8 text file")
    _db_option(gl)
    gl.set_defaults(fn=_cmd_ratings_guidelines)
    ov = commands.add_parser("overlap", help="set how many different raters rate each pair (default 2)")
    ov.add_argument("raters", type=int)
    _db_option(ov)
    ov.set_defaults(fn=_cmd_ratings_overlap)
    t = commands.add_parser("tokens", help="UI logins: one secret token per rater")
    token_commands = t.add_subparsers(dest="tokens", required=True, parser_class=type(t))
    ta = token_commands.add_parser("add", help="make a token for NAME (replacing theirs) and print it once")
    ta.add_argument("name")
    ta.add_argument("--admin", action="store_true", help="may also override filters, export and see runs")
    _db_option(ta)
    ta.set_defaults(fn=_cmd_tokens_add)
    tl = token_commands.add_parser("list", help="who has a token")
    _db_option(tl)
    tl.set_defaults(fn=_cmd_tokens_list)
    tr = token_commands.add_parser("remove", help="remove NAME's token")
    tr.add_argument("name")
    _db_option(tr)
    tr.set_defaults(fn=_cmd_tokens_remove)

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
    u.add_argument("--run-dir", action="append", default=[],
                   help="a run directory to show (its filter decisions are imported); may be given again")
    u.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only); any other requires logins")
    u.add_argument("--port", type=int, default=8501)
    u.set_defaults(fn=_cmd_ui)
