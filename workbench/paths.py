"""Which names and paths the workbench accepts, and where it may write: the guard rails against hostile input.

A recipe, a dataset and an output folder are things people share, so a name in a recipe must never become a path
outside the run directory, and an output folder must never lose files the workbench did not write there.
  * `NAME_PATTERN` / `check_name`: recipe and stage names are plain names (they become folder names).
  * `inside(base, path)`: `path` resolved, after checking it lies inside `base`; called before anything is created,
    moved or deleted in a run or output folder.
  * `claim_output_dir`: an `--out` folder may be new, empty, or hold only what the same command writes there.
  * `regular_file`: a file argument is a regular file (a FIFO would block for ever, a device never ends).
  * `seed_arg`, `bounded_int`: argparse types for the command line's seeds and sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
from pathlib import Path
from typing import Callable, Iterable

from workbench.errors import WorkbenchError

MAX_SEED = 2**32 - 1  # numpy's and torch's seeds are 32-bit
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_NAME = re.compile(NAME_PATTERN)


def check_name(value: str) -> str:
    """`value` if it is a plain name (a letter or digit, then letters, digits, `_`, `.` or `-`; at most 64
    characters; no `..`), else a ValueError saying why (pydantic turns it into a `YAML.path: ..., got VALUE` line)."""
    if not isinstance(value, str) or not _NAME.fullmatch(value) or ".." in value:
        raise ValueError("not a plain name (it becomes a folder name): use 1 to 64 letters, digits, '_', '.' or '-', "
                         "starting with a letter or digit, with no '..' or '/'")
    return value


def inside(base: str | os.PathLike, path: str | os.PathLike) -> Path:
    """`path`, resolved, if it lies strictly inside `base` (both resolved, symlinks followed); else WorkbenchError.
    Use before creating, moving or deleting anything the user's input named."""
    root = Path(base).resolve()
    target = Path(path).resolve()
    if target == root or root not in target.parents:
        raise WorkbenchError(f"{path}: refusing to touch a path outside {root}")
    return target


def regular_file(path: str | os.PathLike, what: str = "file") -> Path:
    """`path` if it names a regular file (following symlinks); a FIFO, device, socket or folder is refused."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise WorkbenchError(f"{path}: {what} not found") from None
    except OSError as e:
        raise WorkbenchError(f"{path}: cannot read the {what} ({e.strerror})") from None
    if stat.S_ISDIR(mode):
        raise WorkbenchError(f"{path}: is a folder; give a {what}")
    if not stat.S_ISREG(mode):
        raise WorkbenchError(f"{path}: is not a regular file (a FIFO, device or socket); give a {what}")
    return path


def claim_output_dir(out: str | os.PathLike, command: str, ours: Iterable[str] | Callable[[str], bool]) -> Path:
    """Check that `out` may be (re)written by `command`: it does not exist, is an empty folder, or holds only entries
    the command writes (`ours`: their top-level names, or a predicate on a name; hidden temporary files the atomic
    writers leave are ours too). Otherwise refuse, naming a file that is not ours, so nothing else gets deleted."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        _writable_parent(out)
        return out
    if not out.is_dir():
        raise WorkbenchError(f"{out}: is not a folder; give --out a new or empty folder")
    owned = ours if callable(ours) else set(ours).__contains__
    try:
        foreign = sorted(p.name for p in out.iterdir() if not (owned(p.name) or _atomic_leftover(p.name, owned)))
    except OSError as e:
        raise WorkbenchError(f"{out}: cannot list the folder ({e.strerror})") from None
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise WorkbenchError(f"{out}: folder is not empty: it holds files `workbench {command}` did not write ({foreign[0]}{more}); "
                             f"give a new or empty folder, or one an earlier `workbench {command}` wrote, "
                             "so nothing else gets overwritten")
    return out


def _writable_parent(out: Path) -> None:
    """The nearest existing folder above `out` must be a folder we may write in (checked before the work, which
    may take minutes, rather than when the results are saved)."""
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise WorkbenchError(f"{out}: {parent} is a file, not a folder; give --out a path in a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise WorkbenchError(f"{out}: cannot create it, {parent} is not writable; give --out a folder you can write to")


def _atomic_leftover(name: str, owned: Callable[[str], bool]) -> bool:
    """`.NAME.xxxx.tmp` / `.NAME.old`: what workbench.atomic leaves of NAME when killed mid-write."""
    if not name.startswith("."):
        return False
    stem = name[1:].removesuffix(".old")
    if stem.endswith(".tmp"):
        stem = stem[: -len(".tmp")].rsplit(".", 1)[0]
    return owned(stem)


def seed_arg(text: str) -> int:
    """argparse type for --seed: an integer in 0..2**32-1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text[:40]!r}: give an integer from 0 to {MAX_SEED}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed {value} out of range: give an integer from 0 to {MAX_SEED}")
    return value


def fraction_arg(text: str) -> float:
    """argparse type for a fraction in (0, 1], e.g. a recall target."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a fraction in (0, 1], e.g. 0.97")
    return value


def bounded_int(low: int, high: int):
    """argparse type for an integer option in low..high."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid integer {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} out of range: give an integer from {low} to {high}")
        return value
    parse.__name__ = "integer"
    return parse
