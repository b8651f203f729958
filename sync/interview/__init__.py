"""The `careersync init` interview: the two coaching exercises as questions, and the plan file.

Pure, no terminal: `session` (questions, `back`, answers files), `answers` and `actions` (reading
answers), `exercises` and `steps` (the coaching content), `planfile` (the YAML writer),
`templates` (example files). The prompts themselves are shown by `sync.cli.init`.
"""

from sync.interview.actions import GRAMMAR, describe, field_of, read_action
from sync.interview.draft import EXERCISES, ActionDraft, Draft, Exercise, Horizon, MilestoneDraft
from sync.interview.exercises import guess_kind, interview
from sync.interview.planfile import build, plan_file, render, slugify, summary
from sync.interview.session import (
    BACK,
    AnswersError,
    Interview,
    Question,
    Script,
    answers_file,
    run_answers,
)
from sync.interview.templates import TEMPLATE_ANSWERS, template

__all__ = [
    "BACK",
    "EXERCISES",
    "GRAMMAR",
    "TEMPLATE_ANSWERS",
    "ActionDraft",
    "AnswersError",
    "Draft",
    "Exercise",
    "Horizon",
    "Interview",
    "MilestoneDraft",
    "Question",
    "Script",
    "answers_file",
    "build",
    "describe",
    "field_of",
    "guess_kind",
    "interview",
    "plan_file",
    "read_action",
    "render",
    "run_answers",
    "slugify",
    "summary",
    "template",
]
