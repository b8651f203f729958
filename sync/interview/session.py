"""Questions and the session that asks them: answers, `back`, and answers files.

An exercise is a generator script: it yields `Question`s and receives each parsed answer. An
`Interview` keeps the answers given so far and replays them through a fresh script, so `back` is
dropping the last answer; the dropped answer becomes the question's default, so Enter restores
it. The terminal and an answers file drive the same `Interview`, so they take the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from sync.interview.draft import Draft

BACK = "back"


def optional_text(raw: str) -> str | None:
    if len(raw) > 500:
        raise ValueError(f"keep it under 500 characters (this is {len(raw)})")
    return raw or None


@dataclass(frozen=True)
class Question:
    """One prompt. An empty answer means `default`; `parse` raises ValueError to re-ask."""

    key: str  # stable name, shown in errors about an answers file
    text: str
    hint: str = ""  # what to write, with an example; shown before the prompt
    default: str = ""
    parse: Callable[[str], Any] = field(default=optional_text)
    heading: str = ""  # a section title, shown before the section's first question
    echo: Callable[[Any], str | None] = field(default=lambda value: None)  # e.g. the ISO date


Script = Generator[Question, Any, Draft | None]  # None: the person chose not to write it
Steps = Generator[Question, Any, Any]


class Interview:
    """An exercise in progress: the current question, or (once over) the finished draft."""

    question: Question | None
    draft: Draft | None

    def __init__(self, script: Callable[[], Script]) -> None:
        self._script = script
        self.answers: list[str] = []  # as given, an empty answer replaced by what it stood for
        self._restored: str | None = None
        self._replay()

    @property
    def default(self) -> str:
        """What an empty answer stands for: the answer just taken back, else the default."""
        if self._restored is not None:
            return self._restored
        return self.question.default if self.question else ""

    def answer(self, text: str) -> Any:
        """Take one answer and return its value; "back" returns to the previous question.

        A ValueError (the answer does not fit) leaves the interview where it was.
        """
        if text.strip().lower() == BACK:
            if self.answers:
                self._restored = self.answers.pop()
                self._replay()
            return None
        assert self.question is not None, "the interview is over"
        given = text.strip() or self.default
        value = self.question.parse(given)
        self.answers.append(given if self._restored is not None else text.strip())
        self._restored = None
        self._advance(value)
        return value

    @property
    def over(self) -> bool:
        return self.question is None

    def _replay(self) -> None:
        self._running = self._script()
        self.question, self.draft = next(self._running), None
        for text in self.answers:
            assert self.question is not None
            self._advance(self.question.parse(text or self.question.default))

    def _advance(self, value: Any) -> None:
        try:
            self.question = self._running.send(value)
        except StopIteration as end:
            self.question, self.draft = None, end.value


class AnswersError(ValueError):
    """An answers file that does not fit the interview; names the line."""


def run_answers(script: Callable[[], Script], lines: Iterable[str]) -> Draft | None:
    """Feed answers, one per line; the draft, or None if not confirmed.

    A line starting with '#' is a comment; an answer that starts with '#' is saved with a space
    before it (`answers_file`)."""
    session = Interview(script)
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        if session.over:
            if line.strip():
                raise AnswersError(f"line {n}: more answers than questions")
            continue
        assert session.question is not None
        key = session.question.key
        try:
            session.answer(line)
        except ValueError as err:
            raise AnswersError(f"line {n} ({key}): {err}") from None
    if session.question is not None:
        q = session.question
        raise AnswersError(f"the answers end before question {q.key!r}: {q.text}")
    return session.draft


def answers_file(answers: list[str], header: str) -> str:
    """Answers as a file `run_answers` replays: one a line, after a '#' header."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f" {answer}" if answer.startswith("#") else answer for answer in answers]
    return "\n".join(lines) + "\n"
