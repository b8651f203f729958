"""Contract tests of the Todoist emulator: the real SDK (and raw httpx for /sync) against it.

Every test runs in-process and over loopback (the `env` fixture). REST bodies are validated
against the official OpenAPI schemas (`api-notes/todoist-openapi.json`).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from todoist_api_python.api import TodoistAPI

from connectors.clients import todoist_api, todoist_http
from connectors.sandbox import TODOIST_TOKEN, Faults
from connectors.sandbox.todoist import TodoistEmulator
from tests.sandbox.conftest import Clock, Env

# The official OpenAPI document; where it is missing, only the schema checks are left out.
SPEC_PATH = Path(
    os.environ.get("TODOIST_OPENAPI")
    or Path(__file__).resolve().parents[3] / "shared" / "api-notes" / "todoist-openapi.json"
)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
CURSOR = re.compile(r"[0-9a-zA-Z_-]+\.[0-9a-zA-Z_-]+")
ID = re.compile(r"[0-9A-Za-z]{16}")


@cache
def _components() -> dict[str, Any] | None:
    if not SPEC_PATH.exists():
        return None
    return dict(json.loads(SPEC_PATH.read_text())["components"])


def conforms(body: Any, schema: str) -> None:
    """`body` is valid against the named OpenAPI schema, and its timestamps are in API form."""
    components = _components()
    if components is not None:
        validator = Draft202012Validator(
            {"$ref": f"#/components/schemas/{schema}", "components": components}
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, errors
    for obj in body.get("results", body.get("items", [body])):
        for key in ("added_at", "updated_at", "created_at", "completed_at", "posted_at"):
            if obj.get(key) is not None:
                assert TIMESTAMP.fullmatch(obj[key]), (key, obj[key])


# Helpers ----------------------------------------------------------------------------------


@dataclass
class Todoist:
    """The SDK, a raw client (bearer token set) and the emulator, for one test."""

    env: Env
    api: TodoistAPI
    client: httpx.Client

    @property
    def emu(self) -> TodoistEmulator:
        return self.env.sandbox.todoist

    @property
    def clock(self) -> Clock:
        return self.env.clock

    def rest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, f"{self.env.todoist_url}/{path}", **kwargs)

    def sync_raw(self, **kwargs: Any) -> httpx.Response:
        return self.rest("POST", "sync", **kwargs)

    def sync(self, **params: Any) -> dict[str, Any]:
        """POST /sync as JSON; returns the (200) body."""
        response = self.sync_raw(json=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def td(env: Env) -> Iterator[Todoist]:
    with env.todoist_client() as client:  # one client for the SDK and raw calls
        yield Todoist(env, todoist_api(TODOIST_TOKEN, client), client)


def command(kind: str, temp_id: str | None = None, **args: Any) -> dict[str, Any]:
    cmd: dict[str, Any] = {"type": kind, "uuid": str(uuid.uuid4()), "args": args}
    if temp_id:
        cmd["temp_id"] = temp_id
    return cmd


def error_of(exc: pytest.ExceptionInfo[httpx.HTTPStatusError]) -> dict[str, Any]:
    body: dict[str, Any] = exc.value.response.json()
    assert body["http_code"] == exc.value.response.status_code
    assert set(body) == {"error", "error_code", "error_extra", "error_tag", "http_code"}
    return body


def all_pages(pages: Any) -> list[Any]:
    return [obj for page in pages for obj in page]


# REST: projects, sections, tasks, comments, labels ----------------------------------------


def test_projects(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Career", description="Become a staff engineer", color="berry_red")
    assert ID.fullmatch(project.id)
    assert project.color == "berry_red"
    conforms(td.rest("GET", f"projects/{project.id}").json(), "AnyProjectSyncViewResponse")

    updated = api.update_project(project.id, name="Career plan", is_favorite=True)
    assert (updated.name, updated.is_favorite) == ("Career plan", True)
    listed = td.rest("GET", "projects").json()
    conforms(listed, "PaginatedList_AnyProjectSyncViewResponse_")
    assert [p["name"] for p in listed["results"]] == ["Inbox", "Career plan"]
    assert listed["results"][0]["inbox_project"] is True

    assert api.archive_project(project.id).is_archived
    assert [p.name for p in all_pages(api.get_projects())] == ["Inbox"]
    assert not api.unarchive_project(project.id).is_archived
    assert api.delete_project(project.id)
    with pytest.raises(httpx.HTTPStatusError) as exc:
        api.get_project(project.id)
    assert error_of(exc)["error_tag"] == "NOT_FOUND"


def test_sections(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Career")
    first = api.add_section("M1", project.id)
    second = api.add_section("M2", project.id)
    assert (first.order, second.order) == (1, 2)
    conforms(td.rest("GET", f"sections/{first.id}").json(), "SectionSyncView")
    changed = api.update_section(first.id, name="Milestone 1", order=5, collapsed=True)
    assert (changed.name, changed.order, changed.is_collapsed) == ("Milestone 1", 5, True)

    listed = td.rest("GET", "sections", params={"project_id": project.id}).json()
    conforms(listed, "PaginatedList_SectionSyncView_")
    assert [s["name"] for s in listed["results"]] == ["Milestone 1", "M2"]

    task = api.add_task("In the section", section_id=second.id)
    assert task.project_id == project.id
    assert api.delete_section(second.id)
    assert [s.id for s in all_pages(api.get_sections(project_id=project.id))] == [first.id]
    with pytest.raises(httpx.HTTPStatusError):
        api.get_task(task.id)  # deleted with its section


def test_tasks(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Career")
    section = api.add_section("M1", project.id)
    task = api.add_task(
        "Read the book",
        description="chapters 1-3",
        project_id=project.id,
        section_id=section.id,
        labels=["learning"],
        priority=4,
        due_date=date(2026, 12, 5),
        deadline_date=date(2026, 12, 20),
        duration=45,
        duration_unit="minute",
    )
    body = td.rest("GET", f"tasks/{task.id}").json()
    conforms(body, "ItemSyncView")
    assert body["due"] == {
        "date": "2026-12-05",
        "timezone": None,
        "string": "2026-12-05",
        "lang": "en",
        "is_recurring": False,
    }
    assert body["deadline"] == {"date": "2026-12-20", "lang": "en"}
    assert body["duration"] == {"amount": 45, "unit": "minute"}
    assert (task.priority, task.labels, task.section_id) == (4, ["learning"], section.id)

    sub = api.add_task("Chapter 1", parent_id=task.id)
    assert (sub.project_id, sub.section_id, sub.parent_id) == (project.id, section.id, task.id)
    other = api.add_task("Elsewhere", project_id=project.id, labels=["admin"])

    at = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    changed = api.update_task(task.id, content="Read it all", due_datetime=at, priority=2)
    assert (changed.content, changed.priority, changed.due and changed.due.date) == (
        "Read it all",
        2,
        at,
    )
    floating = api.update_task(task.id, due_string="tomorrow at 9am")
    assert floating.due is not None
    assert str(floating.due.date) == "2026-12-02 09:00:00", "floating: no time zone"

    by_filter = {
        "project": api.get_tasks(project_id=project.id),
        "section": api.get_tasks(section_id=section.id),
        "parent": api.get_tasks(parent_id=task.id),
        "label": api.get_tasks(label="admin"),
        "ids": api.get_tasks(ids=[sub.id, other.id]),
    }
    found = {name: {t.id for t in all_pages(pages)} for name, pages in by_filter.items()}
    assert found == {
        "project": {task.id, sub.id, other.id},
        "section": {task.id, sub.id},
        "parent": {sub.id},
        "label": {other.id},
        "ids": {sub.id, other.id},
    }

    assert api.move_task(other.id, section_id=section.id)
    assert api.get_task(other.id).section_id == section.id
    assert api.move_task(other.id, parent_id=sub.id)
    assert api.get_task(other.id).parent_id == sub.id

    close = td.rest("POST", f"tasks/{task.id}/close")
    assert (close.status_code, close.content) == (204, b"")
    done = api.get_task(other.id)
    assert done.is_completed, "completing a task completes its subtasks"
    assert [t.id for t in all_pages(api.get_tasks(project_id=project.id))] == []
    assert td.rest("POST", f"tasks/{other.id}/reopen").status_code == 204
    assert {t.id for t in all_pages(api.get_tasks(project_id=project.id))} == {
        task.id,
        sub.id,
        other.id,
    }, "reopening a subtask reopens its ancestors"

    assert td.rest("DELETE", f"tasks/{task.id}").status_code == 204
    assert td.emu.tasks(project.id, include_completed=True) == []


def test_comments(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Career")
    task = api.add_task("Read", project_id=project.id)
    comment = api.add_comment("Progress: 2/5", task_id=task.id)
    assert comment.task_id == task.id
    conforms(td.rest("GET", f"comments/{comment.id}").json(), "ItemNoteSyncView")
    assert api.update_comment(comment.id, "Progress: 3/5").content == "Progress: 3/5"
    on_project = api.add_comment("Vision", project_id=project.id)
    assert on_project.project_id == project.id
    conforms(td.rest("GET", f"comments/{on_project.id}").json(), "ProjectNoteSyncView")

    listed = td.rest("GET", "comments", params={"task_id": task.id}).json()
    conforms(listed, "PaginatedList_NoteSyncView_")
    assert [c["content"] for c in listed["results"]] == ["Progress: 3/5"]
    assert api.delete_comment(comment.id)
    assert all_pages(api.get_comments(task_id=task.id)) == []
    missing = td.rest("GET", "comments")
    assert (missing.status_code, missing.json()["error_tag"]) == (400, "ARGUMENT_MISSING")


def test_labels(td: Todoist) -> None:
    api = td.api
    label = api.add_label("learning", color="green")
    conforms(td.rest("POST", "labels", json={"name": "admin"}).json(), "LabelRestView")
    conforms(td.rest("GET", "labels").json(), "PaginatedList_LabelRestView_")
    assert [lb.name for lb in all_pages(api.get_labels())] == ["learning", "admin"]
    task = api.add_task("Read", labels=["learning"])
    assert api.update_label(label.id, name="study").name == "study"
    assert api.get_task(task.id).labels == ["study"], "a rename carries over to the tasks"
    duplicate = td.rest("POST", "labels", json={"name": "Admin"})
    assert duplicate.status_code == 400
    assert api.delete_label(label.id)
    assert api.get_task(task.id).labels == []


def test_pagination_to_the_end(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Big")
    for i in range(0, 120, 100):
        batch = [
            command("item_add", content=f"task {n}", project_id=project.id)
            for n in range(i, min(i + 100, 120))
        ]
        td.sync(commands=batch)
    pages = list(api.get_tasks(project_id=project.id, limit=50))
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [t.content for p in pages for t in p] == [f"task {n}" for n in range(120)]

    first = td.rest("GET", "tasks", params={"project_id": project.id, "limit": 50}).json()
    conforms(first, "PaginatedList_ItemSyncView_")
    assert CURSOR.fullmatch(first["next_cursor"])
    last = td.rest("GET", "tasks", params={"project_id": project.id, "limit": 200}).json()
    assert (len(last["results"]), last["next_cursor"]) == (120, None)

    too_many = td.rest("GET", "tasks", params={"limit": 201})
    assert too_many.status_code == 400
    assert too_many.json()["error_extra"]["argument"] == "limit"
    assert too_many.json()["error_tag"] == "INVALID_ARGUMENT_VALUE"
    for cursor in ("nodot", first["next_cursor"] + "x"):
        bad = td.rest("GET", "tasks", params={"project_id": project.id, "cursor": cursor})
        assert bad.status_code == 400
        assert bad.json()["error_extra"]["argument"] == "cursor"
    other_params = {"limit": 50, "cursor": first["next_cursor"]}  # not the same query
    assert td.rest("GET", "tasks", params=other_params).status_code == 400


def test_validation(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Career")
    bad_calls: dict[str, Callable[[], object]] = {
        "content": lambda: api.add_task("", project_id=project.id),
        "long content": lambda: api.add_task("x" * 501, project_id=project.id),
        "description": lambda: api.add_task("a", description="x" * 16384),
        "priority": lambda: api.add_task("a", priority=5),
        "duration": lambda: api.add_task("a", duration=0, duration_unit="minute"),
        "duration unit": lambda: api.add_task("a", duration=5, duration_unit="hour"),  # type: ignore[arg-type]
        "due string": lambda: api.add_task("a", due_string="when pigs fly"),
        "project name": lambda: api.add_project("x" * 121),
        "section name": lambda: api.add_section("", project.id),
        "color": lambda: api.add_project("a", color="plaid"),
    }
    for name, call in bad_calls.items():
        with pytest.raises(httpx.HTTPStatusError) as exc:
            call()
        body = error_of(exc)
        assert (body["http_code"], body["error_tag"]) == (400, "INVALID_ARGUMENT_VALUE"), name
    assert api.add_task("x" * 500, project_id=project.id)
    with pytest.raises(httpx.HTTPStatusError) as exc:
        api.add_task("a", project_id="6XXXXXXXXXXXXXXX")
    assert (error_of(exc)["error_tag"], exc.value.response.status_code) == ("NOT_FOUND", 404)


# Completed tasks and recurring dates ------------------------------------------------------


def test_completed_by_completion_date(td: Todoist) -> None:
    api, clock = td.api, td.clock
    project = api.add_project("Career")
    other = api.add_project("Other")
    early = api.add_task("early", project_id=project.id)
    late = api.add_task("late", project_id=project.id)
    elsewhere = api.add_task("elsewhere", project_id=other.id)
    weekly = api.add_task("weekly", project_id=project.id, due_string="every week")
    api.complete_task(early.id)
    clock.advance(days=10)
    for task in (late, elsewhere, weekly):
        api.complete_task(task.id)
        clock.advance(minutes=1)

    start = clock.now - timedelta(days=30)
    end = clock.now + timedelta(minutes=1)
    found = all_pages(api.get_completed_tasks_by_completion_date(since=start, until=end))
    # a recurring task's completed occurrences are not listed (Doist/todoist-api-python#206)
    assert [t.content for t in found] == ["elsewhere", "late", "early"]
    assert all(t.is_completed for t in found)
    recent = api.get_completed_tasks_by_completion_date(
        since=clock.now - timedelta(days=1), until=clock.now + timedelta(minutes=1), limit=2
    )
    assert [len(page) for page in recent] == [2]

    params = {"since": "2026-11-20T00:00:00Z", "until": "2026-12-20T00:00:00Z"}
    raw = td.rest("GET", "tasks/completed/by_completion_date", params=params)
    conforms(raw.json(), "TasksCompletedDateResponse")
    assert "next_cursor" not in raw.json()
    mine_params = {**params, "project_id": project.id}
    mine = td.rest("GET", "tasks/completed/by_completion_date", params=mine_params).json()
    assert {t["content"] for t in mine["items"]} == {"early", "late"}

    too_long = {"since": "2026-01-01T00:00:00Z", "until": "2026-04-05T00:00:00Z"}
    refused = td.rest("GET", "tasks/completed/by_completion_date", params=too_long)
    assert refused.status_code == 400
    assert refused.json()["error"] == "completion date range must not exceed 3 months"
    missing = td.rest("GET", "tasks/completed/by_completion_date", params={"since": "x"})
    assert missing.status_code == 400
    assert (missing.json()["error_tag"], missing.json()["error_extra"]["argument"]) == (
        "ARGUMENT_MISSING",
        "until",
    )


RECURRING = [
    # due string, first due (clock: Tue 2026-12-01 09:00 UTC), due after one completion
    ("every day", "2026-12-01", "2026-12-02"),
    ("daily", "2026-12-01", "2026-12-02"),
    ("every week", "2026-12-01", "2026-12-08"),
    ("every 2 weeks", "2026-12-01", "2026-12-15"),
    ("every other week", "2026-12-01", "2026-12-15"),
    ("every month", "2026-12-01", "2027-01-01"),
    ("every tue", "2026-12-01", "2026-12-08"),
    ("every mon, wed", "2026-12-02", "2026-12-07"),
    ("every monday and friday", "2026-12-04", "2026-12-07"),
    ("every other monday", "2026-12-07", "2026-12-21"),
    ("every 2 weeks on mon, thu", "2026-12-03", "2026-12-14"),
    ("every weekday", "2026-12-01", "2026-12-02"),
    ("every 15th", "2026-12-15", "2027-01-15"),
    ("every day at 7pm", "2026-12-01T19:00:00.000000", "2026-12-02T19:00:00.000000"),
    ("every week starting 2026-12-10", "2026-12-10", "2026-12-17"),
]


def test_recurring_completion_advances_the_due_date(td: Todoist) -> None:
    api = td.api
    for string, first, after in RECURRING:
        task = api.add_task("habit", due_string=string)
        due = td.rest("GET", f"tasks/{task.id}").json()["due"]
        assert (due["date"], due["string"], due["is_recurring"]) == (first, string, True)
        api.complete_task(task.id)
        body = td.rest("GET", f"tasks/{task.id}").json()
        assert (body["due"]["date"], body["checked"], body["completed_count"]) == (after, False, 1)
    assert len(td.emu.tasks()) == len(RECURRING), "all still active"


def test_recurring_edge_cases(td: Todoist) -> None:
    todoist, clock = td.emu, td.clock
    overdue = todoist.user_add_task(
        None, "overdue", due={"date": "2026-11-25", "string": "every day"}
    )
    todoist.user_complete(overdue)
    assert todoist.task(overdue)["due"]["date"] == "2026-12-01", "not before today"

    from_completion = todoist.user_add_task(None, "every!", due={"string": "every! 3 days"})
    clock.advance(days=2)
    todoist.user_complete(from_completion)
    assert todoist.task(from_completion)["due"]["date"] == "2026-12-06"

    ending = todoist.user_add_task(None, "ends", due={"string": "every week until 2026-12-12"})
    todoist.user_complete(ending)
    assert todoist.task(ending)["due"]["date"] == "2026-12-10"
    todoist.user_complete(ending)
    assert todoist.task(ending)["checked"], "the series ended: completed for good"

    # item_complete finishes a recurring task for good; item_close moves it on
    closing = todoist.user_add_task(None, "close", due={"string": "every week"})
    finishing = todoist.user_add_task(None, "complete", due={"string": "every week"})
    td.sync(commands=[command("item_close", id=closing), command("item_complete", id=finishing)])
    assert (todoist.task(closing)["checked"], todoist.task(finishing)["checked"]) == (False, True)


# /sync ------------------------------------------------------------------------------------


def test_sync_batch_with_temp_ids_form_encoded(td: Todoist) -> None:
    p, s1, s2, t1, t2 = (str(uuid.uuid4()) for _ in range(5))
    commands = [
        command("project_add", p, name="Career", description="vision"),
        command("section_add", s1, name="M1", project_id=p),
        command("section_add", s2, name="M2", project_id=p),
        command(
            "item_add",
            t1,
            content="Checkpoint",
            project_id=p,
            section_id=s1,
            due={"date": "2026-12-31"},
            priority=4,
        ),
        command(
            "item_add",
            t2,
            content="Read",
            section_id=s2,
            labels=["learning"],
            duration={"amount": 90, "unit": "minute"},
            deadline={"date": "2027-01-10"},
        ),
        command("item_add", content="Chapter 1", parent_id=t2),
        command("item_add", content="Chapter 2", parent_id=t2, due={"string": "every mon, wed"}),
        command("note_add", content="first note", item_id=t1),
    ]
    form = {"commands": json.dumps(commands)}
    response = td.sync_raw(data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["sync_status"] == {c["uuid"]: "ok" for c in commands}
    mapping = body["temp_id_mapping"]
    assert set(mapping) == {p, s1, s2, t1, t2}
    assert all(ID.fullmatch(real) for real in mapping.values())

    todoist = td.emu
    tasks = {t["content"]: t for t in todoist.tasks(mapping[p])}
    assert [s["name"] for s in todoist.sections(mapping[p])] == ["M1", "M2"]
    assert tasks["Checkpoint"]["section_id"] == mapping[s1]
    assert tasks["Read"]["project_id"] == mapping[p], "placed by its section"
    assert tasks["Chapter 1"]["parent_id"] == mapping[t2]
    assert tasks["Chapter 2"]["section_id"] == mapping[s2], "subtasks share the section"
    assert tasks["Chapter 2"]["due"]["is_recurring"]
    conforms(tasks["Read"], "ItemSyncView")
    assert todoist.comments(mapping[t1])[0]["content"] == "first note"

    # temp ids resolve across requests, and a re-sent uuid is not applied twice
    again = td.sync(commands=[commands[4], command("item_update", id=t2, content="Read it")])
    assert list(again["sync_status"].values()) == ["ok", "ok"]
    assert again["temp_id_mapping"] == {t2: mapping[t2]}
    assert len(todoist.tasks(mapping[p])) == 4
    assert todoist.task(mapping[t2])["content"] == "Read it"


def test_sync_per_command_errors(td: Todoist) -> None:
    todoist = td.emu
    task = todoist.user_add_task(None, "exists")
    unknown_temp = str(uuid.uuid4())
    commands = [
        command("item_update", id="6XXXXXXXXXXXXXXX", content="nope"),
        command("item_add", content="orphan", project_id=unknown_temp),
        command("item_update", id=task, priority=9),
        command("item_add", project_id=todoist.inbox_id),
        command("project_update", id="6XXXXXXXXXXXXXXX", name="nope"),
        command("no_such_command"),
        command("item_update", id=task, content="still applied"),
    ]
    body = td.sync(commands=commands)
    statuses = [body["sync_status"][c["uuid"]] for c in commands]
    assert statuses[-1] == "ok"
    assert todoist.task(task)["content"] == "still applied"
    tags = [s["error_tag"] for s in statuses[:-1]]
    assert tags == [
        "ITEM_NOT_FOUND",
        "INVALID_TEMP_ID",
        "INVALID_ARGUMENT_VALUE",
        "ARGUMENT_MISSING",
        "PROJECT_NOT_FOUND",
        "INVALID_ARGUMENT_VALUE",
    ]
    for status in statuses[:-1]:
        assert set(status) == {"error", "error_code", "error_extra", "error_tag", "http_code"}
    assert statuses[0]["error_code"] == 22
    assert statuses[1]["error_code"] == 15
    assert statuses[2]["error_extra"]["argument"] == "priority"

    # a failed command is not remembered: fixed and re-sent under the same uuid, it runs
    retry = dict(commands[2], args={"id": task, "priority": 3})
    assert td.sync(commands=[retry])["sync_status"] == {retry["uuid"]: "ok"}
    assert todoist.task(task)["priority"] == 3


def test_sync_refuses_more_than_100_commands(td: Todoist) -> None:
    commands = [command("item_add", content=f"t{n}") for n in range(101)]
    response = td.sync_raw(json={"commands": commands})
    assert response.status_code == 400
    body = response.json()
    assert (body["error_tag"], body["error_extra"]["argument"]) == (
        "INVALID_ARGUMENT_VALUE",
        "commands",
    )
    assert td.emu.tasks() == [], "nothing ran"


def test_incremental_sync(td: Todoist) -> None:
    todoist, clock = td.emu, td.clock
    project = todoist.user_add_project("Career")
    keep, finish, drop, weekly = (
        todoist.user_add_task(project, name) for name in ("keep", "finish", "drop", "weekly")
    )
    todoist.user_update(weekly, due={"string": "every week"})
    todoist.user_complete(finish)
    full = td.sync(sync_token="*", resource_types=["all"])
    assert full["full_sync"] is True
    assert "full_sync_date_utc" in full
    assert {t["content"] for t in full["items"]} == {"keep", "drop", "weekly"}, "no completed"
    assert {"projects", "items", "sections", "notes", "labels", "user"} <= set(full)
    for item in full["items"]:
        conforms(item, "ItemSyncView")

    clock.advance(hours=1)
    quiet = td.sync(sync_token=full["sync_token"], resource_types=["items", "projects"])
    assert (quiet["full_sync"], quiet["items"], quiet["projects"]) == (False, [], [])
    assert quiet["sync_token"] != full["sync_token"], "a new token on every call"

    todoist.user_complete(keep)
    todoist.user_delete(drop)
    todoist.user_complete(weekly)
    added = todoist.user_add_task(project, "new")
    changes = td.sync(sync_token=quiet["sync_token"], resource_types=["items"])
    by_id = {t["id"]: t for t in changes["items"]}
    assert set(by_id) == {keep, drop, weekly, added}
    assert by_id[keep]["checked"]
    assert TIMESTAMP.fullmatch(by_id[keep]["completed_at"])
    assert by_id[drop]["is_deleted"] is True
    assert (by_id[weekly]["checked"], by_id[weekly]["due"]["date"]) == (False, "2026-12-08")
    assert by_id[added]["updated_at"] == "2026-12-01T10:00:00.000000Z"
    assert set(changes) >= {"items", "sync_token", "full_sync", "temp_id_mapping"}
    assert "projects" not in changes

    again = td.sync(sync_token="*", resource_types=["items", "-items"])
    assert "items" not in again
    bad = td.sync_raw(json={"sync_token": "not-a-token", "resource_types": ["items"]})
    assert bad.status_code == 400
    assert bad.json()["error_extra"]["argument"] == "sync_token"


def test_sync_reads_deleted_sections_and_projects(td: Todoist) -> None:
    todoist = td.emu
    project = todoist.user_add_project("Career")
    section = todoist.user_add_section(project, "M1")
    task = todoist.user_add_task(project, "t", section_id=section)
    token = td.sync(sync_token="*", resource_types=["projects", "sections", "items"])["sync_token"]
    todoist.user_delete_project(project)
    changes = td.sync(sync_token=token, resource_types=["projects", "sections", "items"])
    assert [(p["id"], p["is_deleted"]) for p in changes["projects"]] == [(project, True)]
    assert [(s["id"], s["is_deleted"]) for s in changes["sections"]] == [(section, True)]
    assert [(t["id"], t["is_deleted"]) for t in changes["items"]] == [(task, True)]
    full = td.sync(sync_token="*", resource_types=["projects", "items"])
    assert [p["name"] for p in full["projects"]] == ["Inbox"]
    assert full["items"] == []


# Limits, errors, faults -------------------------------------------------------------------


def test_300_active_tasks_per_project(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Full")
    parent = api.add_task("parent", project_id=project.id)
    for size in (100, 100, 99):  # subtasks count too
        batch = [command("item_add", content="t", parent_id=parent.id) for _ in range(size)]
        td.sync(commands=batch)
    assert len(td.emu.tasks(project.id)) == 300
    with pytest.raises(httpx.HTTPStatusError) as exc:
        api.add_task("one too many", project_id=project.id)
    body = error_of(exc)
    assert (body["http_code"], body["error_code"], body["error_tag"]) == (
        403,
        49,
        "MAX_ITEMS_LIMIT_REACHED",
    )
    status = td.sync(commands=[command("item_add", content="x", project_id=project.id)])
    assert next(iter(status["sync_status"].values()))["error_tag"] == "MAX_ITEMS_LIMIT_REACHED"

    child = td.emu.tasks(project.id)[-1]["id"]
    api.complete_task(child)  # completed tasks do not count
    assert api.add_task("fits again", project_id=project.id)


def test_20_sections_per_project(td: Todoist) -> None:
    api = td.api
    project = api.add_project("Sections")
    td.sync(
        commands=[command("section_add", name=f"s{n}", project_id=project.id) for n in range(20)]
    )
    with pytest.raises(httpx.HTTPStatusError) as exc:
        api.add_section("s20", project.id)
    body = error_of(exc)
    assert (body["http_code"], body["error_tag"]) == (403, "MAX_SECTIONS_LIMIT_REACHED")


def test_auth_errors(td: Todoist) -> None:
    for token in (None, "Bearer wrong", "Basic x"):
        request = td.client.build_request("GET", f"{td.env.todoist_url}/projects")
        del request.headers["authorization"]
        if token:
            request.headers["authorization"] = token
        response = td.client.send(request)
        assert response.status_code == 401
        body = response.json()
        assert (body["error_tag"], body["http_code"]) == ("AUTH_INVALID_TOKEN", 401)
    wrong = TodoistAPI("wrong", client=todoist_http(td.env.todoist_url, td.env.transport))
    with pytest.raises(httpx.HTTPStatusError) as exc:
        next(wrong.get_projects())
    assert exc.value.response.status_code == 401


def test_not_found_and_paths(td: Todoist) -> None:
    for path in ("tasks/6XXXXXXXXXXXXXXX", "projects/6XXXXXXXXXXXXXXX", "sections/6XXXXXXXXXXX"):
        response = td.rest("GET", path)
        body = response.json()
        assert (response.status_code, body["error_tag"], body["error_code"]) == (
            404,
            "NOT_FOUND",
            478,
        )
    assert td.rest("GET", "Tasks").status_code == 404, "lowercase paths only"
    assert td.rest("GET", "tasks/filter").json()["error"].endswith("not emulated by the sandbox")
    assert td.rest("GET", "sync").status_code == 405


def test_injected_faults(td: Todoist) -> None:
    api = td.api
    td.env.sandbox.wire.reset(Faults(fail_at={1: 429, 2: 500, 3: 503}, retry_after=7))
    for status in (429, 500, 503):
        with pytest.raises(httpx.HTTPStatusError) as exc:
            api.add_project("x")
        body = error_of(exc)
        assert body["http_code"] == status
        assert body["error_extra"]["retry_after"] == 7
        if status == 429:
            assert (body["error_tag"], body["error_code"]) == ("LIMITS_REACHED", 35)
            assert exc.value.response.headers["retry-after"] == "7"
    assert [p.name for p in all_pages(api.get_projects())] == ["Inbox"], "faults applied nothing"


def test_rate_limits(td: Todoist) -> None:
    todoist, clock = td.emu, td.clock
    todoist.rate_limits.update(rest=3, sync_full=2)
    api = td.api
    for _ in range(3):
        next(api.get_projects())
    clock.advance(minutes=5)
    with pytest.raises(httpx.HTTPStatusError) as exc:
        next(api.get_projects())
    body = error_of(exc)
    assert (body["error_tag"], body["error_extra"]["retry_after"]) == ("LIMITS_REACHED", 600)
    assert exc.value.response.headers["retry-after"] == "600"
    clock.advance(minutes=10)
    assert next(api.get_projects())

    full = {"sync_token": "*", "resource_types": ["items"]}
    token = td.sync(**full)["sync_token"]
    td.sync(**full)
    assert td.sync_raw(json=full).status_code == 429
    assert td.sync(sync_token=token, resource_types=["items"])["full_sync"] is False


def test_wire_counts_reads_and_writes(td: Todoist) -> None:
    api = td.api
    td.env.sandbox.wire.reset()
    project = api.add_project("Counted")
    api.get_project(project.id)
    list(api.get_projects())
    td.sync(sync_token="*", resource_types=["items"])  # a POST that only reads
    td.sync(commands=[command("item_add", content="counted")])
    counts = td.env.sandbox.wire.counts("todoist")
    assert (counts["reads"], counts["writes"]) == (3, 2)


def test_state_survives_to_dict_and_load_dict(td: Todoist) -> None:
    todoist = td.emu
    project = todoist.user_add_project("Career")
    task = todoist.user_add_task(project, "t", due={"string": "every week"})
    token = td.sync(sync_token="*", resource_types=["items"])["sync_token"]
    todoist.user_complete(task)
    saved = json.loads(json.dumps(todoist.to_dict()))

    restored = TodoistEmulator(clock=td.clock, token="t")
    restored.load_dict(saved)
    assert restored.tasks() == todoist.tasks()
    assert restored.projects() == todoist.projects()
    todoist.load_dict(saved)  # the sandbox itself, reloaded: old sync tokens still work
    changes = td.sync(sync_token=token, resource_types=["items"])
    assert [t["id"] for t in changes["items"]] == [task]
    assert td.api.get_task(task).due is not None
