"""Opening the preference store: the database URL, the engine, schema migrations, and transactions.

SQLite (the default, `runs/workbench.db`) runs in WAL mode so the UI reads while raters write; every write
transaction starts with `BEGIN IMMEDIATE`, which takes the write lock up front, so concurrent writers wait their
turn (busy timeout) instead of failing half-way with "database is locked". Any other SQLAlchemy URL (e.g.
`postgresql://…`) is used as given. Opening a store brings its schema to the newest Alembic revision.

A database that is not a workbench store is refused in one line before anything is written to it: a file that is
not SQLite ("corrupt"), a database with tables but no Alembic revision of ours ("foreign"), or one at a revision
this version does not know (written by a newer workbench). With `create=False` a missing or empty database is
refused too, so commands that only read (and `workbench ui`) never leave a new empty file behind.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError
from sqlalchemy.orm import Session

from workbench.errors import WorkbenchError

DEFAULT_DB = "runs/workbench.db"
BUSY_TIMEOUT_MS = 60_000
_MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(db: str | Path | None) -> str:
    """A SQLAlchemy URL from `--db`: a URL as given, a plain path as a SQLite file, nothing as the default file."""
    db = str(db or DEFAULT_DB)
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


class Store:
    """A migrated database. `reading()` and `writing()` yield an ORM session inside one transaction."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        self._writer = engine.execution_options(begin_immediate=True)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_store(db: str | Path | None = None, create: bool = True) -> Store:
    """The store at `db` (URL or SQLite path; default `runs/workbench.db`), migrated as needed. With
    `create=False` (commands that only read) a SQLite file that does not exist is an error, not a new empty store."""
    url = database_url(db)
    try:
        parsed = make_url(url)
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as e:
        raise WorkbenchError(f"--db {db}: cannot open this database URL ({str(e).splitlines()[0]}); give a SQLite "
                             "path or a URL like postgresql+psycopg://user@host/dbname with its driver installed") from None
    if not create and engine.dialect.name == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        raise WorkbenchError(f"--db {db or DEFAULT_DB}: no store there; give the store written by `workbench ratings` "
                             "or `workbench ui`, or a database URL")
    where = f"--db {db or DEFAULT_DB}"
    if engine.dialect.name == "sqlite":
        if parsed.database and Path(parsed.database).is_file():
            _check_sqlite_file(Path(parsed.database), where)
        _configure_sqlite(engine)
    store = Store(url, engine)
    try:
        if engine.dialect.name == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        _migrate(store, where, create)
    except OSError as e:
        store.close()
        raise WorkbenchError(f"{where}: cannot create the store's folder ({e.strerror})") from None
    except WorkbenchError:
        store.close()
        raise
    except DatabaseError as e:  # OperationalError included; "file is not a database" is a DatabaseError
        store.close()
        raise WorkbenchError(f"{where}: cannot open the store ({str(e.orig).splitlines()[0]}); give the store written "
                             "by `workbench ratings` or `workbench ui`, or a new file name") from None
    return store


def _check_sqlite_file(path: Path, where: str) -> None:
    """Refuse a file that is not SQLite, or a SQLite database of someone else's, through a read-only connection
    (before WAL mode or a migration could change it)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.DatabaseError as e:
        raise WorkbenchError(f"{where}: not a SQLite database ({e}); give the store written by `workbench ratings` "
                             "or `workbench ui`, or a new file name") from None
    if tables and "alembic_version" not in tables:
        raise WorkbenchError(f"{where}: this database is not a workbench store (it has other tables: "
                             f"{', '.join(sorted(tables)[:5])}); give another file or URL")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("begin_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _migrate(store: Store, where: str = "--db", create: bool = True) -> None:
    """Upgrade the schema to the newest revision, inside one write transaction (so concurrent openers wait); refuse
    a database that is not a store of ours (see the module docstring) before writing anything."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    with store.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        tables = inspect(connection).get_table_names()
    if current == head:
        return
    if current is None and tables:
        raise WorkbenchError(f"{where}: this database is not a workbench store (it has other tables: "
                             f"{', '.join(sorted(tables)[:5])}); give another file or URL")
    if current is not None and current not in {script.revision for script in scripts.walk_revisions()}:
        raise WorkbenchError(f"{where}: this store was written by a newer workbench (schema revision {current}); "
                             "upgrade workbench to open it")
    if current is None and not create:
        raise WorkbenchError(f"{where}: no store there (the database is empty); give the store written by "
                             "`workbench ratings` or `workbench ui`, or a database URL")
    with store._writer.begin() as connection:
        if MigrationContext.configure(connection).get_current_revision() != head:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
