"""Everything careersync keeps under CAREERSYNC_HOME is the user's alone: folders 0700, files 0600.

The CLI narrows the process umask at start (`private_umask`), so whatever it creates (the state
DB and its journal, logs and their rotations, reports, sandbox data, the run lock) is private
from the first byte; `private_dir` and `private_file` also tighten what an older version, or a
looser umask, left behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600


def private_umask() -> None:
    """New files of this process: no access for group or others, whatever the caller's umask."""
    os.umask(os.umask(0o077) | 0o077)


def private_dir(path: Path) -> Path:
    """`path` made if missing (parents too) and kept 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """`path`, if it exists, kept 0600 (its folder is not touched)."""
    _tighten(path, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):  # not ours, or a read-only home: reported where used
        if stat.S_IMODE(path.stat().st_mode) & ~mode:
            path.chmod(mode)
