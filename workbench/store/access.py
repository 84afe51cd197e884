"""Who may use the UI: rater login tokens (`workbench ratings tokens add NAME [--admin]`).

A token is 32 random URL-safe characters, printed once by the command and stored only as its sha256, with the
rater's name and role. In the UI a rater types their token; the name they rate under comes from it, so nobody can
rate as someone else. Admins also see the Safety filters (overrides), Preference data (exports) and Runs pages.
Whether a login is needed at all is decided by `login_required`: always when the UI listens beyond this machine,
and on 127.0.0.1 as soon as the store holds any token (with none, a local user types a name and is an admin).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from workbench.errors import WorkbenchError
from workbench.store.db import Store
from workbench.store.ratings import rater_name
from workbench.store.schema import RaterToken

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class User:
    name: str
    admin: bool


def _sha256(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def add_token(store: Store, name: str, admin: bool = False) -> str:
    """A new token for `name` (replacing any earlier one of theirs); returns the token, which is not stored."""
    name = rater_name(name)
    token = secrets.token_urlsafe(24)
    with store.writing() as session:
        session.execute(delete(RaterToken).where(RaterToken.name == name))
        session.add(RaterToken(name=name, token_sha256=_sha256(token), admin=admin))
    return token


def remove_token(store: Store, name: str) -> None:
    with store.writing() as session:
        if not session.execute(delete(RaterToken).where(RaterToken.name == name)).rowcount:
            raise WorkbenchError(f"no token for {name!r}; `workbench ratings tokens list` shows who has one")


def tokens(store: Store) -> list[User]:
    with store.reading() as session:
        return [User(t.name, t.admin) for t in session.scalars(select(RaterToken).order_by(RaterToken.name))]


def has_tokens(store: Store) -> bool:
    with store.reading() as session:
        return bool(session.scalar(select(func.count()).select_from(RaterToken)))


def user_for_token(store: Store, token: str) -> User | None:
    """The rater a token stands for, or None for an unknown token."""
    if not token or not token.strip():
        return None
    with store.reading() as session:
        found = session.scalar(select(RaterToken).where(RaterToken.token_sha256 == _sha256(token)))
        return User(found.name, found.admin) if found is not None else None


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def login_required(store: Store, host: str) -> bool:
    return not is_loopback(host) or has_tokens(store)
