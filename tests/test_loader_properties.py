"""Whatever the input, loading ends in a `Loaded` or a located `PlanError`, never another exception;
and whatever loads keeps the rules of the plan format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.errors import PlanError
from sync.loader import (
    ACTION_KEYS,
    MILESTONE_KEYS,
    PLAN_KEYS,
    SCHEDULE_KEYS,
    TOP_KEYS,
    WINDOW_KEYS,
    Loaded,
    parse_plan,
)
from sync.plan import ID_PATTERN

EXAMPLE = (Path(__file__).parent / "plans" / "example.yaml").read_text()
LINES = EXAMPLE.splitlines()
KEYS = sorted({*TOP_KEYS, *PLAN_KEYS, *SCHEDULE_KEYS, *WINDOW_KEYS, *MILESTONE_KEYS, *ACTION_KEYS})
# The problems that belong to no line of the file.
UNLOCATED = ("the file is empty", "the file is larger than", "the YAML nests too deeply")

moderate = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(text: str | bytes) -> Loaded | PlanError:
    """The loaded plan or the error; any other exception fails the test."""
    try:
        return parse_plan(text, Path("plan.yaml"), today=date(2026, 11, 2), default_timezone="UTC")
    except PlanError as error:
        return error


def check(text: str | bytes) -> None:
    """Loads and keeps the rules, or fails with a one-line error that names its line."""
    result = outcome(text)
    if isinstance(result, Loaded):
        keeps_the_rules(result)
        return
    assert result.message
    assert "\n" not in str(result)
    if result.line is None:
        assert result.message.startswith(UNLOCATED), result
    else:
        assert result.line >= 1
        assert result.column is not None
        assert result.column >= 1


def keeps_the_rules(loaded: Loaded) -> None:
    plan = loaded.plan
    assert plan.start <= plan.end
    ids = [m.id for m in plan.milestones] + [a.id for _, a in plan.actions()]
    assert len(ids) == len(set(ids))
    assert all(ID_PATTERN.fullmatch(i) for i in ids)
    assert plan.schedule.min_block <= plan.schedule.max_block
    assert all(w.start < w.end for w in plan.schedule.windows)
    for milestone in plan.milestones:
        assert plan.start <= milestone.due <= plan.end
        for action in milestone.actions:
            assert action.due <= milestone.due
            assert action.start is None or plan.start <= action.start <= action.due
            assert (action.until is not None) == (action.recurrence is not None)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates().map(str),
    st.sampled_from(["07:00", "7:30", "45m", "1h30m", "15 months", "week", "mon", "-1", "1e9"]),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=10))
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=15,
)
flow = documents.map(lambda value: yaml.safe_dump(value, default_flow_style=True, width=10**6))
inline = scalars.map(
    lambda value: (
        yaml.safe_dump(value, width=10**6).removesuffix("...\n").strip().replace("\n", " ")
    )
)
junk = st.one_of(
    flow.map(str.strip),
    st.text(alphabet="ab:-[]{}&*!|>'\"#\t ,?%@`~\\0123456789", max_size=40),
    st.sampled_from(["<<: *x", "&a", "*a", "!!python/object:os.system x", "---", "...", "- -"]),
)


@moderate
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    check(data)


@moderate
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    check(text)


@moderate
@given(documents)
def test_random_yaml_documents(document: object) -> None:
    check(yaml.safe_dump(document, allow_unicode=True))


@settings(moderate, max_examples=100)
@given(st.dictionaries(st.sampled_from(KEYS), documents, max_size=4))
def test_random_documents_with_plan_keys(document: dict[str, object]) -> None:
    check(yaml.safe_dump({"format": 1, **document}))


# Weighted toward edits that keep the YAML readable, so the plan rules get exercised too.
OPERATIONS = ("delete", "delete", "duplicate", "replace", "replace", "replace", "insert", "indent")


# Plans built from the vocabulary: the right keys, values that are mostly of the right kind.
meaningful = st.one_of(
    st.dates(date(2026, 10, 1), date(2028, 6, 1)),
    st.sampled_from(["a", "b", "c", "knowledge", "skills", "week", "2 weeks", "month", "day"]),
    st.sampled_from(["0", "15m", "2h", "1h30m", "3h", 45, "07:00", "08:30", "mon", "sat"]),
    st.lists(st.sampled_from(["a", "b", "c", "mon", "tue"]), max_size=3),
    st.booleans(),
    scalars,
)


def section(names: tuple[str, ...]) -> st.SearchStrategy[dict[str, object]]:
    return st.dictionaries(st.sampled_from(names), meaningful, max_size=len(names))


actions = st.tuples(st.sampled_from(["do-a", "do-b", "do-c", "do-d"]), section(ACTION_KEYS)).map(
    lambda pair: {"id": pair[0], "title": "Do", **pair[1]}
)
vocabulary_plans = st.fixed_dictionaries(
    {
        "format": st.just(1),
        "plan": st.fixed_dictionaries(
            {
                "title": st.just("Plan"),
                "start": st.just(date(2027, 1, 1)),
                "horizon": st.sampled_from(["3 months", "15 months", "15 months", "2 weeks"]),
            }
        ),
        "milestones": st.lists(
            st.tuples(section(MILESTONE_KEYS), st.lists(actions, max_size=2)).map(
                lambda pair: {"title": "M", "due": date(2027, 3, 1), **pair[0], "actions": pair[1]}
            ),
            max_size=3,
        ),
    },
    optional={
        "schedule": st.fixed_dictionaries(
            {}, optional={"windows": st.lists(section(WINDOW_KEYS), max_size=2)}
        ).flatmap(lambda part: section(SCHEDULE_KEYS).map(lambda rest: {**rest, **part}))
    },
)


@settings(moderate, max_examples=100)
@given(vocabulary_plans)
def test_plans_from_the_vocabulary(document: dict[str, object]) -> None:
    check(yaml.safe_dump(document))


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        operation = draw(st.sampled_from(OPERATIONS))
        if operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, line)
        elif operation == "replace" and ":" in line:
            key = line.split(":", 1)[0]
            lines[index] = f"{key}: {draw(st.one_of(inline, inline, junk))}"
        elif operation == "insert":
            indent = " " * draw(st.integers(0, 8))
            lines.insert(index, indent + draw(junk))
        else:
            lines[index] = " " * draw(st.integers(0, 3)) + line
        if not lines:
            break
    return "\n".join(lines) + "\n"


@moderate
@given(mutated_examples())
def test_mutated_example(text: str) -> None:
    check(text)


@moderate
@given(st.integers(0, len(EXAMPLE.encode())), st.binary(min_size=1, max_size=8))
def test_example_with_inserted_bytes(index: int, data: bytes) -> None:
    raw = EXAMPLE.encode()
    check(raw[:index] + data + raw[index:])


def test_the_example_keeps_the_rules() -> None:
    assert isinstance(outcome(EXAMPLE), Loaded)
    check(EXAMPLE)
