"""A progress bar for long syncs (a first sync writes a hundred items or more), on a terminal only.

It counts writes as they land: the sides' `apply` says how many are coming, the state store's
`put` (called as each result is recorded) says one more landed. Never in JSON or piped output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sync.model import Action, is_write

LONG = 20  # fewer writes than this finish before a bar is worth drawing


@contextmanager
def write_progress(session: Any, console: Console, *, enabled: bool = True) -> Iterator[None]:
    """Show landed writes over decided writes while the session applies them."""
    if not enabled or not console.is_terminal:
        yield
        return
    bar = Progress(
        TextColumn("writing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("writes", total=0, visible=False)
    store = session.store
    put = store.put
    sides = [s for s in (session.todoist, session.calendar) if s is not None]
    applies = {id(s): s.apply for s in sides}

    def counted_put(*args: Any, **kwargs: Any) -> None:
        put(*args, **kwargs)
        current = bar.tasks[0]
        if current.completed < (current.total or 0):  # records of non-writes land here too
            bar.advance(task)

    def announcing(side: Any) -> Any:
        def apply(actions: Sequence[Action]) -> Any:
            writes = sum(is_write(a) for a in actions)
            total = (bar.tasks[0].total or 0) + writes
            bar.update(task, total=total, visible=total >= LONG)
            return applies[id(side)](actions)

        return apply

    store.put = counted_put
    for side in sides:
        side.apply = announcing(side)
    try:
        with bar:
            yield
    finally:
        del store.put
        for side in sides:
            del side.apply
