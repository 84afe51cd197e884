"""Opening the preference store: the database URL, the engine, schema migrations, and transactions.

SQLite (the default, `runs/workbench.db`) runs in WAL mode so the UI reads while raters write; every write
transaction starts with `BEGIN IMMEDIATE`, which takes the write lock up front, so concurrent writers wait their
turn (busy timeout) instead of failing half-way with "database is locked". Any other SQLAlchemy URL (e.g.
`postgresql://…`) is used as given. Opening a store brings its schema to the newest Alembic revision.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
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
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    store = Store(url, engine)
    try:
        if engine.dialect.name == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        _migrate(store)
    except OSError as e:
        store.close()
        raise WorkbenchError(f"--db {db or DEFAULT_DB}: cannot create the store's folder ({e.strerror})") from None
    except DatabaseError as e:  # OperationalError (locked, unreadable), or a file that is not a database
        store.close()
        raise WorkbenchError(f"--db {db or DEFAULT_DB}: cannot open the store ({str(e.orig).splitlines()[0]})") from None
    return store


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


def _migrate(store: Store) -> None:
    """Upgrade the schema to the newest revision, inside one write transaction (so concurrent openers wait)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with store.engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
    with store._writer.begin() as connection:
        if MigrationContext.configure(connection).get_current_revision() != head:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
