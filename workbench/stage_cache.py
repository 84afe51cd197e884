"""The stage cache: finished stages' outputs kept by fingerprint, shared across run directories.

A stage's fingerprint (`workbench.pipeline`: its config, seed, what it reads, what decides its numerics) names what it
computes, so a second run directory, a second seed or an ablation that would compute a stage with the same fingerprint
takes its outputs from here instead of recomputing them. Layout, under the cache's root (default
`$WORKBENCH_CACHE/stages`, i.e. `~/.cache/workbench/stages`, next to the converted models; `workbench run --cache DIR`
or `--no-cache`):

    v1/<fp[:2]>/<fp>/entry.json     what was stored: stage, kind, fingerprint, every file with size and sha256,
                                    outputs, metrics, and who built it (run directory, host, when, wall time)
    v1/<fp[:2]>/<fp>/files/...      the stage folder's outputs (the files the manifest records; no checkpoints, logs)
    v1/.tmp/                        entries being written

Storing: the files are hard-linked (copied across file systems) into a fresh folder under `v1/.tmp/`, each one hashed
there and checked against the manifest's record, `entry.json` is written last, and the folder is renamed into place in
one step. A crash leaves only a `.tmp` folder, which is never read (`workbench cache prune` removes it); two runs
storing one entry at once both finish, the second rename fails and its copy is dropped.

Restoring trusts nothing in the entry: `entry.json` must name the fingerprint asked for, every path in it must be a
plain relative path, every file a regular file inside the entry (no symlinks), and every file is hashed as it is
linked or copied into the run and must match the recorded size and sha256. Otherwise the entry is refused with one
line (`DamagedEntry`) and the pipeline runs the stage and stores a good entry in its place. Files are hard-linked only
when the current user owns them (the cache's other users cannot change them afterwards), else copied; never
symlinked, so nothing a later stage writes can reach into the cache through them. A file changed in place later,
in a run folder that shares it, fails the hash at the next restore and is replaced.

The check is against corruption and half-written or hand-edited entries, not against someone allowed to write the
cache folder who rewrites an entry consistently (files and hashes both): share a cache only with people you would
share a run directory with. Torch-free: `workbench cache ls` and `workbench status` read it in milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from workbench.atomic import HashCache, sha256_file, write_json
from workbench.errors import WorkbenchError
from workbench.paths import inside

FORMAT = "v1"
ENTRY = "entry.json"
FILES = "files"
DEFAULT_MAX_ENTRY_GB = 4.0


def default_root() -> Path:
    """`$WORKBENCH_CACHE/stages`, else `~/.cache/workbench/stages` (where the converted models are cached too)."""
    return Path(os.environ.get("WORKBENCH_CACHE") or Path.home() / ".cache" / "workbench").expanduser() / "stages"


class DamagedEntry(Exception):
    """A cache entry that cannot be trusted; the message says why, in a few words."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _plain_relative(rel) -> bool:
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    parts = PurePosixPath(rel).parts
    return not PurePosixPath(rel).is_absolute() and all(p not in ("", ".", "..") for p in parts)


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)[:300]


def _is_fingerprint(fp) -> bool:
    return isinstance(fp, str) and len(fp) == 64 and all(c in "0123456789abcdef" for c in fp)


class StageCache:
    def __init__(self, root: str | Path, max_entry_gb: float = DEFAULT_MAX_ENTRY_GB):
        self.root = Path(root).expanduser()
        self.max_entry_bytes = int(max_entry_gb * 2**30)

    @property
    def base(self) -> Path:
        return self.root / FORMAT

    def entry_dir(self, fp: str) -> Path:
        if not _is_fingerprint(fp):
            raise ValueError(f"not a stage fingerprint: {fp!r}")
        return self.base / fp[:2] / fp

    def has(self, fp: str) -> bool:
        return (self.entry_dir(fp) / ENTRY).is_file()

    # --- reading ---------------------------------------------------------------------------------------------

    def read_entry(self, fp: str) -> dict | None:
        """The entry stored under `fp` (its entry.json, checked for shape), None if there is none, or DamagedEntry."""
        folder = self.entry_dir(fp)
        if not folder.exists():
            return None
        try:
            st = os.lstat(folder / ENTRY)
            if not stat.S_ISREG(st.st_mode):
                raise DamagedEntry(f"its {ENTRY} is not a regular file")
            if st.st_size > 64 * 2**20:
                raise DamagedEntry(f"its {ENTRY} is {st.st_size} bytes")
            entry = json.loads((folder / ENTRY).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DamagedEntry(f"it has no {ENTRY}") from None
        except (OSError, ValueError) as e:
            raise DamagedEntry(f"its {ENTRY} is unreadable ({type(e).__name__})") from None
        if not isinstance(entry, dict) or entry.get("fingerprint") != fp:
            raise DamagedEntry(f"its {ENTRY} is for another fingerprint")
        files = entry.get("files")
        if not isinstance(files, dict) or not files:
            raise DamagedEntry(f"its {ENTRY} lists no files")
        for rel, info in files.items():
            if not _plain_relative(rel):
                raise DamagedEntry(f"it names a file outside the entry ({rel!r:.80})")
            if not (isinstance(info, dict) and isinstance(info.get("size"), int) and not isinstance(info["size"], bool)
                    and _is_fingerprint(info.get("sha256"))):
                raise DamagedEntry(f"its record of {rel!r:.80} is not a size and a sha256")
        built = entry.get("built") if isinstance(entry.get("built"), dict) else {}
        entry["built"] = {k: _printable(v) if isinstance(v, str) else v for k, v in built.items()
                          if isinstance(v, (str, int, float)) and not isinstance(v, bool)}  # shown on the console
        return entry

    def restore(self, fp: str, stage_dir: Path, hashes: HashCache) -> dict | None:
        """Put the entry's files into `stage_dir` (replacing it as a whole) and return the entry, or None on a miss.
        Every file is checked as it arrives; a bad entry raises DamagedEntry and leaves `stage_dir` as it was.
        `hashes` (the run directory's hash cache) learns each file's hash, so recording it reads nothing again."""
        entry = self.read_entry(fp)
        if entry is None:
            return None
        source = self.entry_dir(fp) / FILES
        stage_dir = Path(stage_dir)
        stage_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{stage_dir.name}.", suffix=".cache.tmp", dir=stage_dir.parent))
        try:
            found = {}
            for rel, info in entry["files"].items():
                src, dst = source / rel, tmp / rel
                try:
                    inside(source, src)  # no symlinked folder on the way out of the entry
                    st = os.lstat(src)
                except (OSError, WorkbenchError):
                    raise DamagedEntry(f"its file {rel} is missing or points outside it") from None
                if not stat.S_ISREG(st.st_mode):
                    raise DamagedEntry(f"its file {rel} is not a regular file")
                dst.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(src, dst, st)
                dst_st = os.stat(dst)
                digest = sha256_file(dst)
                if dst_st.st_size != info["size"] or digest != info["sha256"]:
                    raise DamagedEntry(f"its file {rel} changed since it was stored")
                found[rel] = (dst_st, digest)
            if stage_dir.exists():
                shutil.rmtree(stage_dir)
            os.replace(tmp, stage_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        run_dir = stage_dir.parent
        for rel, (st, digest) in found.items():
            hashes.remember((stage_dir / rel).relative_to(run_dir).as_posix(), st, digest)
        with contextlib.suppress(OSError):  # when it was last used, for `workbench cache prune --older-than`
            os.utime(self.entry_dir(fp) / ENTRY)
        return entry

    # --- writing ---------------------------------------------------------------------------------------------

    def store(self, fp: str, run_dir: Path, stage: str, record: dict) -> str | None:
        """Store a finished stage (its manifest `record`: files, outputs, metrics, ...) under `fp`. Returns None when
        stored (or already there), else a short reason it was not (too large, a file changed meanwhile)."""
        files = record.get("files") or {}
        size = sum(info["size"] for info in files.values())
        if size > self.max_entry_bytes:
            return (f"{size / 2**30:.1f} GB is over the cache's limit of {self.max_entry_bytes / 2**30:.1f} GB per entry "
                    "(recipe cache.max_entry_gb)")
        if self.has(fp):
            return None
        tmp_root = self.base / ".tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{fp[:16]}.{os.getpid()}.", dir=tmp_root))
        try:
            kept = {}
            for rel, info in files.items():
                within = PurePosixPath(rel).relative_to(stage).as_posix()
                dst = tmp / FILES / within
                dst.parent.mkdir(parents=True, exist_ok=True)
                src = Path(run_dir) / rel
                _link_or_copy(src, dst, os.stat(src), follow=True)  # a symlinked output: its content
                if os.stat(dst).st_size != info["size"] or sha256_file(dst) != info["sha256"]:
                    return f"its output {within} changed since it was recorded"
                kept[within] = {"size": info["size"], "sha256": info["sha256"]}
            entry = {"format": FORMAT, "fingerprint": fp, "stage": stage, "kind": record.get("kind"),
                     "files": kept, "outputs": record.get("outputs"), "metrics": record.get("metrics"),
                     "numerics": record.get("numerics"), "size": size,
                     "built": {"run_dir": str(Path(run_dir).resolve()), "host": socket.gethostname(),
                               "finished_at": record.get("finished_at"), "wall_time_s": record.get("wall_time_s")},
                     "stored_at": _now()}
            write_json(tmp / ENTRY, entry)
            final = self.entry_dir(fp)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(tmp, final)  # fails if another run stored it meanwhile: theirs stays
            except OSError:
                if not self.has(fp):
                    raise
            return None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def discard(self, fp: str) -> None:
        """Remove the entry under `fp` (a damaged one, before a good one replaces it)."""
        folder = self.entry_dir(fp)
        if folder.is_symlink():  # not ours to follow: the link goes, whatever it points at stays
            folder.unlink()
        elif folder.exists():
            aside = folder.with_name(f".{folder.name}.{os.getpid()}.discarded")
            os.replace(folder, aside)  # out of the way in one step, then removed
            shutil.rmtree(inside(self.base, aside), ignore_errors=True)

    # --- listing and pruning ---------------------------------------------------------------------------------

    def entries(self) -> list[dict]:
        """Every entry: fingerprint, stage, kind, size, built (who, when), last used; `damaged` says why if it is."""
        out = []
        if not self.base.is_dir():
            return out
        for shard in sorted(p for p in self.base.iterdir() if len(p.name) == 2 and p.is_dir()):
            for folder in sorted(shard.iterdir()):
                if not _is_fingerprint(folder.name):
                    continue
                row = {"fingerprint": folder.name, "path": str(folder)}
                try:
                    entry = self.read_entry(folder.name)
                    row.update(stage=entry.get("stage"), kind=entry.get("kind"),
                               size=sum(i["size"] for i in entry["files"].values()),
                               built=entry.get("built") if isinstance(entry.get("built"), dict) else {},
                               last_used=os.stat(folder / ENTRY).st_mtime)
                except (DamagedEntry, OSError) as e:
                    row["damaged"] = str(e)
                out.append(row)
        return out

    def prune(self, older_than_days: float | None = None, everything: bool = False) -> dict:
        """Remove leftovers of interrupted stores (over an hour old), damaged entries (their entry.json unreadable),
        and entries not used for `older_than_days` days (or all, with `everything`). Returns counts and bytes."""
        removed = {"entries": 0, "leftovers": 0, "bytes": 0}
        if not self.base.is_dir():
            return removed
        tmp_root = self.base / ".tmp"
        if tmp_root.is_dir():
            for leftover in tmp_root.iterdir():
                if time.time() - leftover.lstat().st_mtime > 3600:
                    shutil.rmtree(inside(self.base, leftover), ignore_errors=True)
                    removed["leftovers"] += 1
        for shard in [p for p in self.base.iterdir() if len(p.name) == 2 and p.is_dir()]:
            for aside in shard.glob(".*.discarded"):
                shutil.rmtree(inside(self.base, aside), ignore_errors=True)
        cutoff = time.time() - older_than_days * 86400 if older_than_days is not None else None
        for row in self.entries():
            old = cutoff is not None and row.get("last_used", 0) < cutoff
            if everything or "damaged" in row or old:
                removed["entries"] += 1
                removed["bytes"] += row.get("size", 0)
                self.discard(row["fingerprint"])
        return removed


def _link_or_copy(src: Path, dst: Path, st: os.stat_result, follow: bool = False) -> None:
    """A hard link when we own the file (same file system), else a copy; never a symlink."""
    if st.st_uid == os.getuid():
        try:
            os.link(src, dst, follow_symlinks=follow)
            return
        except OSError:
            pass
    shutil.copyfile(src, dst, follow_symlinks=follow)
