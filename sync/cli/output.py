"""The consoles: Rich on a terminal, plain lines when piped.

Piped or redirected output is not wrapped at a guessed width and carries no trailing padding, so
it greps and diffs cleanly; `NO_COLOR` (https://no-color.org) turns colour off, read when
printing so a test's environment counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from rich.console import Console, ConsoleDimensions
from rich.segment import Segment

_TRAILING = re.compile(r"[ \t]+(?=\n|$)")
UNBOUNDED = 10_000  # the width of a pipe: no wrapping at all


class PlainWhenPiped(Console):
    """A Rich console that renders for a terminal only when it writes to one."""

    @property
    def soft_wrap(self) -> bool:
        """Never wrap lines that go to a pipe or a file."""
        return self._soft_wrap or not self.is_terminal

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:
        self._soft_wrap = value

    @property
    def no_color(self) -> bool:
        return self._no_color or os.environ.get("NO_COLOR", "") != ""

    @no_color.setter
    def no_color(self, value: bool) -> None:
        self._no_color = value

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self.is_terminal or self._width is not None or os.environ.get("COLUMNS"):
            return size
        return ConsoleDimensions(UNBOUNDED, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        text = super()._render_buffer(buffer)
        return text if self.is_terminal else _TRAILING.sub("", text)


console = PlainWhenPiped(highlight=False)
err_console = PlainWhenPiped(stderr=True, highlight=False)
