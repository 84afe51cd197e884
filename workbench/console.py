"""The console of `workbench run`: one line per stage; everything the libraries print goes to the stage's log.txt.

While a stage runs, `Console.start` opens `STAGE/log.txt` and (unless verbose) sends there what would otherwise fill
the terminal: Python-level stdout and stderr (per-step Trainer log dicts, library prints, tqdm bars such as
"Loading weights" and "Writing model shards"), Python warnings (FutureWarning …) and other loggers' console handlers
(transformers' own). The workbench logger always writes to the log too, and its warnings also reach the console as a
line of their own. (Output of C code or subprocesses writing to the file descriptors directly is not redirected.)

On a terminal the stage's line updates in place: a bar, steps/total, the latest loss or the stage's own figure,
elapsed time and time left (training stages report through `progress`, called by `workbench.training`'s callback;
other stages show elapsed time). Elsewhere (CI logs, pipes) nothing is drawn and each stage prints one final line.
`-v` turns all of this off: libraries print as they like and each stage prints a start and an end line.

Torch-free; one active stage per process (the module-level `_active`), which is what the training callback reports to.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TextIO

_active: "StageLine | None" = None


def quiet() -> bool:
    """True while a stage runs under a quiet console (training then turns its own tqdm bar off)."""
    return _active is not None and not _active.verbose


def quiet_libraries(outside_run: bool) -> None:
    """Called by the CLI before any library is imported, unless `-v`: no download, loading or `datasets` progress
    bars (on a console they are a wall, in a stage's log a smear of carriage returns). For commands outside
    `workbench run` (`filter`, `safety train-classifier`, `chat`, …), which have no stage log to send chatter to, also
    no FutureWarnings and no transformers log lines below errors. A variable the user set is left as it is."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    if outside_run:
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        warnings.filterwarnings("ignore", category=FutureWarning)


def progress(step: int, total: int | None = None, figure: str | None = None) -> None:
    """Report a running stage's progress (a no-op outside `workbench run`, e.g. in an accelerate worker)."""
    if _active is not None:
        _active.update(step, total, figure)


def say(text: str) -> None:
    """A line for the person at the console, above the stage's progress line (printed as is when no stage runs)."""
    if _active is not None:
        _active.say(text)
    else:
        print(text, flush=True)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


class _Redirect:
    """Stands in for sys.stdout / sys.stderr while a stage runs: writes go to the stage's log, and after the stage
    to the stream it replaced, so a handler or bar a library created during the stage never writes to a closed file."""

    def __init__(self, log: TextIO, fallback: TextIO):
        self.log: TextIO | None = log
        self.fallback = fallback

    @property
    def target(self) -> TextIO:
        if self.log is not None:
            return self.log
        if getattr(self.fallback, "closed", False):  # e.g. a test harness's capture, gone since
            return sys.__stderr__
        return self.fallback

    def write(self, text: str) -> int:
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return False if self.log is not None else self.fallback.isatty()

    def __getattr__(self, name: str):  # encoding, fileno, …
        return getattr(self.target, name)


class _ToConsole(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        say(f"[workbench] {record.levelname.lower()}: {record.getMessage()}")


class StageLine:
    """One stage's console line and the redirection of everything else into its log while it runs."""

    def __init__(self, out: TextIO, name: str, kind: str, what: str, log_path: Path, verbose: bool):
        self.out, self.name, self.kind, self.what, self.verbose = out, name, kind, what, verbose
        self.tty = not verbose and hasattr(out, "isatty") and out.isatty()
        self.step: int | None = None
        self.total: int | None = None
        self.figure = ""
        self.started = time.monotonic()
        self._first: tuple[float, int] | None = None  # (time, step) of the first step seen, for the rate
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._restore: list = []
        self._log = open(log_path, "a", encoding="utf-8", buffering=1)
        self._capture()
        if verbose:
            self._write(f"[workbench] {name} ({kind}): {what}\n")
        self._ticker = None
        if self.tty:
            self._draw()
            self._ticker = threading.Thread(target=self._tick, daemon=True, name="workbench-console")
            self._ticker.start()

    # --- redirection ------------------------------------------------------------------------------------------

    def _capture(self) -> None:
        wb = logging.getLogger("workbench")
        handler = logging.StreamHandler(self._log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        wb.addHandler(handler)
        level = wb.level
        wb.setLevel(min(logging.INFO, wb.getEffectiveLevel()))
        self._restore.append(lambda: (wb.removeHandler(handler), wb.setLevel(level)))
        if self.verbose:
            return
        warnings_here = _ToConsole(logging.WARNING)
        wb.addHandler(warnings_here)
        propagate, wb.propagate = wb.propagate, False
        self._restore.append(lambda: (wb.removeHandler(warnings_here), setattr(wb, "propagate", propagate)))
        console_streams = {id(sys.stdout), id(sys.stderr), id(sys.__stdout__), id(sys.__stderr__)}
        loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                           if isinstance(lg, logging.Logger)]
        swapped_root = False
        for lg in loggers:
            for h in lg.handlers:
                if type(h) is logging.StreamHandler and (id(h.stream) in console_streams
                                                         or isinstance(h.stream, _Redirect)):  # made in a stage
                    old = h.setStream(_Redirect(self._log, h.stream))
                    self._restore.append(lambda h=h, old=old: h.setStream(old))
                    swapped_root = swapped_root or lg is logging.getLogger()
        if not swapped_root:  # no console handler at the root (library use, a test harness): log what reaches it
            root, to_log = logging.getLogger(), logging.StreamHandler(self._log)
            to_log.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            root.addHandler(to_log)
            self._restore.append(lambda: root.removeHandler(to_log))
        showwarning = warnings.showwarning  # (a test harness may have replaced it with its own recorder)

        def warning_to_log(message, category, filename, lineno, file=None, line=None):
            self._log.write(warnings.formatwarning(message, category, filename, lineno, line))

        warnings.showwarning = warning_to_log
        self._restore.append(lambda: setattr(warnings, "showwarning", showwarning))
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Redirect(self._log, stdout), _Redirect(self._log, stderr)
        redirects = (sys.stdout, sys.stderr)
        self._restore.append(lambda: (setattr(sys, "stdout", stdout), setattr(sys, "stderr", stderr),
                                      *(setattr(r, "log", None) for r in redirects)))

    def _uncapture(self) -> None:
        while self._restore:
            self._restore.pop()()
        self._log.close()

    # --- drawing ----------------------------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        with self._lock:
            self.out.write(text)
            self.out.flush()

    def _status(self) -> str:
        elapsed = time.monotonic() - self.started
        parts = [f"[workbench] {self.name} ({self.kind})"]
        if self.step is not None and self.total:
            done = min(1.0, self.step / self.total)
            bar = "#" * int(done * 20)
            parts.append(f"[{bar:<20}] {self.step}/{self.total}")
        else:
            parts.append(self.what)
        if self.figure:
            parts.append(self.figure)
        timing = _duration(elapsed)
        if self._first and self.step is not None and self.total and self.step > self._first[1]:
            rate = (self.step - self._first[1]) / (time.monotonic() - self._first[0])
            timing += f", {_duration((self.total - self.step) / rate)} left"
        parts.append(timing)
        return "  ".join(parts)

    def _draw(self) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self._write("\r\x1b[K" + self._status()[:width])

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    def update(self, step: int, total: int | None, figure: str | None) -> None:
        with self._lock:
            if self._first is None or step < self._first[1]:
                self._first = (time.monotonic(), step)
            self.step, self.total = step, total or self.total
            if figure:
                self.figure = figure
            if self.tty:
                self._draw()

    def say(self, text: str) -> None:
        with self._lock:
            self._write(("\r\x1b[K" if self.tty else "") + text + "\n")
            if self.tty:
                self._draw()

    def close(self, text: str) -> None:
        """Stop drawing, give the console back, and print the stage's final line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        self._uncapture()
        self._write(("\r\x1b[K" if self.tty else "") + text + "\n")


class Console:
    """Where `workbench run` prints: `out` (stdout by default, looked up when a stage starts, as pytest swaps it)."""

    def __init__(self, verbose: bool = False, out: TextIO | None = None):
        self.verbose, self._out = verbose, out

    def line(self, text: str) -> None:
        """A line between stages (or above the running stage's line)."""
        if _active is not None:
            _active.say(f"[workbench] {text}")
        else:
            out = self._out or sys.stdout
            out.write(f"[workbench] {text}\n")
            out.flush()

    def start(self, name: str, kind: str, what: str, log_path: Path) -> StageLine:
        global _active
        if _active is not None:
            raise RuntimeError(f"stage {_active.name} is still on the console")
        _active = StageLine(self._out or sys.stdout, name, kind, what, log_path, self.verbose)
        return _active

    def finish(self, line: StageLine, text: str) -> None:
        global _active
        try:
            line.close(f"[workbench] {text}")
        finally:
            _active = None
