"""Peak resident memory of this process, per stage: the pipeline resets the high-water mark before a stage and reads
it after, so every stage's manifest entry says how much memory it took (the figure a laptop user needs before running
a recipe). Torch-free; Linux gives the exact per-stage figure, elsewhere it is the process's peak so far.
"""

from __future__ import annotations

import resource
import sys


def reset_peak_memory() -> bool:
    """Start measuring peak memory afresh, so that a stage run in the same process as others reports its own peak:
    on Linux, writing 5 to /proc/self/clear_refs resets the process's high-water mark of resident memory (VmHWM).
    False where that is not possible (the peak then covers the process's whole life)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    """The high-water mark of resident memory in MiB: VmHWM where /proc has it (what `reset_peak_memory` resets),
    else `getrusage`'s peak for the process's life."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / 2**20 if sys.platform == "darwin" else peak / 2**10, 1)
