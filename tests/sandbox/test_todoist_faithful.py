"""The Todoist emulator where checking it against the real API found it unfaithful (issue 16).

Each test holds the real SDK (or raw httpx) against the emulator, in-process and over loopback.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.sandbox.test_todoist_contract import Todoist, all_pages, command, conforms, td

__all__ = ["td"]


def test_completed_occurrences_of_a_recurring_task_are_not_listed(td: Todoist) -> None:
    """The real v1 completed-task endpoints return no recurring completions (todoist-api-python#206)."""
    api, clock = td.api, td.clock
    project = api.add_project("Career")
    weekly = api.add_task("weekly", project_id=project.id, due_string="every week")
    once = api.add_task("once", project_id=project.id, due_string="today")
    api.complete_task(weekly.id)
    api.complete_task(weekly.id)
    api.complete_task(once.id)
    since, until = clock.now - timedelta(days=1), clock.now + timedelta(minutes=1)
    found = all_pages(api.get_completed_tasks_by_completion_date(since=since, until=until))
    assert [t.content for t in found] == ["once"]
    by_due = td.rest(
        "GET",
        "tasks/completed/by_due_date",
        params={"since": "2026-11-25T00:00:00Z", "until": "2026-12-31T00:00:00Z"},
    ).json()
    assert [t["content"] for t in by_due["items"]] == ["once"]
    task = td.rest("GET", f"tasks/{weekly.id}").json()
    assert (task["checked"], task["completed_count"], task["due"]["date"]) == (
        False,
        2,
        "2026-12-15",
    )


def test_an_invalid_token_may_be_answered_with_403(td: Todoist) -> None:
    td.emu.invalid_token_status = 403
    answer = td.rest("GET", "projects", headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 403
    body = answer.json()
    assert (body["error_tag"], body["error_code"], body["http_code"]) == (
        "AUTH_INVALID_TOKEN",
        401,
        403,
    )


TYPE_CONFUSED: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "projects", {"name": "P", "color": ["red"]}),
    ("POST", "projects", {"name": "P", "view_style": ["list"]}),
    ("POST", "projects", {"name": "P", "color": {"a": 1}}),
    ("POST", "labels", {"name": "L", "color": ["red"]}),
]


@pytest.mark.parametrize(("method", "path", "body"), TYPE_CONFUSED)
def test_type_confused_rest_bodies_are_400_answers(
    td: Todoist, method: str, path: str, body: dict[str, Any]
) -> None:
    answer = td.rest(method, path, json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["error_tag"] == "INVALID_ARGUMENT_VALUE"
    assert error["error_extra"]["argument"] in body


def test_type_confused_updates_and_sync_commands_are_refused(td: Todoist) -> None:
    project = td.api.add_project("Career")
    answer = td.rest("POST", f"projects/{project.id}", json={"view_style": ["board"]})
    assert answer.status_code == 400
    assert td.rest("GET", f"projects/{project.id}").json()["view_style"] == "list"
    out = td.sync(commands=[command("project_update", id=project.id, color=["red"])])
    status = next(iter(out["sync_status"].values()))
    assert (status["error_tag"], status["http_code"]) == ("INVALID_ARGUMENT_VALUE", 400)


def test_user_has_every_field_the_schema_requires(td: Todoist) -> None:
    body = td.rest("GET", "user").json()
    conforms(body, "UserJSON")
    assert body["tz_info"]["timezone"] == "UTC"
    synced = td.sync(sync_token="*", resource_types=["user"])["user"]
    assert synced == body


def test_user_counts_completions(td: Todoist) -> None:
    project = td.api.add_project("Career")
    weekly = td.api.add_task("weekly", project_id=project.id, due_string="every week")
    td.api.complete_task(weekly.id)
    td.api.complete_task(td.api.add_task("once", project_id=project.id).id)
    body = td.rest("GET", "user").json()
    assert (body["completed_count"], body["completed_today"]) == (2, 2)


def test_a_bad_token_over_the_wire_is_still_the_documented_401(td: Todoist) -> None:
    with pytest.raises(httpx.HTTPStatusError) as exc:
        td.rest("GET", "user", headers={"Authorization": "Bearer nope"}).raise_for_status()
    assert exc.value.response.status_code == 401
