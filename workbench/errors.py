"""User-facing errors.

Anything the user can fix (a bad recipe, a bad data file, a missing model) raises `WorkbenchError`
with a one-line message saying what is wrong, where, and how to fix it. The CLI prints it and exits 2;
it never shows a traceback for these.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """An error caused by the user's input; printed as one line per problem, exit code 2."""

    exit_code = 2

    def __init__(self, message: str | list[str]):
        self.lines = [message] if isinstance(message, str) else list(message)
        super().__init__("\n".join(self.lines))


class DataError(WorkbenchError):
    """Bad data at a known place: rendered as `FILE:LINE: what is wrong`."""

    def __init__(self, path, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")


class WaitingForPeople(WorkbenchError):
    """A stage needs more human ratings than the store holds: the run stops before it (exit code 3, not a failure);
    after rating, the same command continues."""

    exit_code = 3
    prefix = "waiting"

    def __init__(self, stage: str, rated: int, needed: int, db: str, run_dir=None):
        self.stage, self.rated, self.needed, self.db = stage, rated, needed, db
        ui = f"workbench ui --run-dir {run_dir} --db {db}" if run_dir is not None else f"workbench ui --db {db}"
        super().__init__(f"stage {stage} needs {needed} ratings and the store has {rated}; rate "
                         f"{needed - rated} more with `{ui}`, then run the same command again")

    def in_run(self, run_dir) -> "WaitingForPeople":
        """The same wait, with the UI command for `run_dir`."""
        return WaitingForPeople(self.stage, self.rated, self.needed, self.db, run_dir)


class TrainingDiverged(WorkbenchError):
    """A training stage's gradient norm became NaN or infinite: the weights are lost, so the stage stops at once
    with one line saying what to change, instead of training on for the rest of its budget."""
