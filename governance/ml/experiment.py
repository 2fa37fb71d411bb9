"""What an experiment record says about where a model came from: libraries, code, memory.

The record itself is assembled by `training.train`; these are the parts that ask the
environment rather than the data.
"""

import os
import platform
import resource
import shutil

# bandit B404: runs git with fixed arguments, never a shell.
import subprocess  # nosec B404
from importlib.metadata import version
from pathlib import Path
from typing import Any

LIBRARIES = ("lightgbm", "numpy", "optuna", "pandas", "scikit-learn", "scipy")
UNKNOWN_COMMIT = "unknown"


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), **{name: version(name) for name in LIBRARIES}}


def source_commit() -> str:
    """The commit of the code that trains: `SOURCE_COMMIT` when set (an image built
    without its repository says it so), else `git rev-parse HEAD` of the checkout this
    module lives in, else "unknown"."""
    commit = os.environ.get("SOURCE_COMMIT", "").strip()
    if commit:
        return commit
    git = shutil.which("git")
    if git is None:
        return UNKNOWN_COMMIT
    try:
        # bandit B603: fixed arguments, no shell.
        done = subprocess.run(  # nosec B603
            [git, "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN_COMMIT
    head = done.stdout.strip()
    return head if done.returncode == 0 and head else UNKNOWN_COMMIT


def peak_memory() -> dict[str, Any]:
    """The process's peak resident set size so far (getrusage's ru_maxrss).

    The operating system's own figure, so it counts LightGBM's and numpy's native memory,
    which tracemalloc would not see; being the process's peak, it includes reading the
    data and whatever the process did before training.
    """
    # ru_maxrss is in kibibytes on Linux (bytes on macOS, which the portal does not run on).
    return {
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "measure": "getrusage(RUSAGE_SELF).ru_maxrss: the training process's peak resident set size, "
        "data loading and earlier work in the same process included",
    }
