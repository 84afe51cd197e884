"""Atomic file and directory writes, and content hashing.

Every artifact the workbench writes goes through here: written to a temporary sibling, flushed, then
renamed into place, so a killed process never leaves a file or folder that looks finished but is not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[Any]:
    """Open a temporary file next to `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; the result should look like any other file
    try:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_file(path) as f:
        f.write(text)


def json_safe(obj: Any) -> Any:
    """`obj` with every non-finite float (NaN, ±inf) as None, so that what we write is JSON (RFC 8259), which has no
    NaN: a diverged loss becomes `null` in metrics.json instead of a bare `NaN` that strict readers refuse."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(json_safe(obj), indent=2, sort_keys=False, default=str, allow_nan=False) + "\n")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    n = 0
    with atomic_file(path) as f:
        for row in rows:
            f.write(json.dumps(json_safe(row), ensure_ascii=False, allow_nan=False) + "\n")
            n += 1
    return n


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces `path` as a whole (old contents removed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it 0700; the result should look like any other folder
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_json(obj: Any) -> str:
    return sha256_bytes(json.dumps(obj, sort_keys=True, default=str).encode())


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_path(path: str | os.PathLike) -> str:
    """Hash of a file, or of a directory tree (relative names and contents, hidden temp files ignored)."""
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            h.update(str(rel).encode() + b"\0" + sha256_file(p).encode())
    return h.hexdigest()


class HashCache:
    """sha256 of files, remembered by (size, mtime_ns) in a JSON file, so verifying an unchanged tree stats its
    files instead of reading them. Keys are paths relative to `root`. Saving is atomic and merges nothing: the cache
    is only a shortcut, so when two processes save at once the last one wins and the other's entries are hashed
    again next time."""

    def __init__(self, root: str | os.PathLike, file: str | os.PathLike):
        self.root, self.file = Path(root), Path(file)
        try:
            loaded = json.loads(self.file.read_text())
            self.entries: dict[str, list] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def sha256(self, rel: str, st: os.stat_result | None = None) -> str:
        """The hash of `root/rel`; `st` is its stat if the caller has one (raises OSError if it is gone)."""
        st = st or os.stat(self.root / rel)
        cached = self.entries.get(rel)
        if isinstance(cached, list) and len(cached) == 3 and cached[:2] == [st.st_size, st.st_mtime_ns]:
            return cached[2]
        digest = sha256_file(self.root / rel)
        self.entries[rel] = [st.st_size, st.st_mtime_ns, digest]
        self.changed = True
        return digest

    def remember(self, rel: str, st: os.stat_result, digest: str) -> None:
        """Record a hash the caller has just computed for `root/rel` (whose stat is `st`)."""
        self.entries[rel] = [st.st_size, st.st_mtime_ns, digest]
        self.changed = True

    def files(self, folder: str | os.PathLike, skip: Iterable[str] = ()) -> dict[str, dict]:
        """{path relative to root: {"size", "sha256"}} for every file under `folder` (itself under root), skipping
        hidden names and top-level entries named in `skip`."""
        folder, skip = Path(folder), set(skip)
        out = {}
        for p in sorted(folder.rglob("*")):
            rel_in = p.relative_to(folder)
            if rel_in.parts[0] in skip or any(part.startswith(".") for part in rel_in.parts) or not p.is_file():
                continue
            st = p.stat()
            rel = p.relative_to(self.root).as_posix()
            out[rel] = {"size": st.st_size, "sha256": self.sha256(rel, st)}
        return out

    def save(self) -> None:
        """Write the cache if it changed; a cache that cannot be written (a read-only run) is only a lost shortcut."""
        if self.changed:
            with contextlib.suppress(OSError):
                write_text(self.file, json.dumps(self.entries, separators=(",", ":")))
            self.changed = False
