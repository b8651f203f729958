"""The run lock: one careersync process at a time writes a home's state."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sync.errors import UserError
from sync.private import private_dir, private_file


@contextmanager
def hold_lock(home: Path) -> Iterator[Path]:
    """Hold `home/run.lock` so two schedulers never share one state; released on exit."""
    path = home / "run.lock"
    try:
        private_dir(home)
        file = path.open("a+")
    except OSError as exc:
        raise UserError(
            f"cannot write to {home} ({exc.strerror})",
            "make it writable by you, or set CAREERSYNC_HOME to a folder that is",
        ) from None
    with file:
        private_file(path)
        try:
            _lock(file.fileno())
        except OSError:
            raise UserError(
                f"another careersync run is using {home}",
                "stop it first, or set CAREERSYNC_HOME to another directory",
            ) from None
        try:
            if sys.platform != "win32":
                file.truncate(0)
                file.write(f"{os.getpid()}\n")
                file.flush()
            yield path
        finally:
            _unlock(file.fileno())


if sys.platform == "win32":  # pragma: no cover
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
