"""The Todoist connector: gather the plan's project, apply actions as `/sync` commands.

Reads use `/api/v1/sync` with a stored `sync_token` (one request per run once the first full read
is done) and a mirror of the project in the state store; a full read also asks the SDK for tasks
completed since the plan started, because full syncs leave completed tasks out.
Writes are `/sync` commands, up to 100 per request. Each command's `uuid` is recorded in the state
store before it is sent and re-sent unchanged after a timeout or a crash, so Todoist never applies
a command twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from todoist_api_python._core.endpoints import API_URL
from todoist_api_python.api import TodoistAPI

from connectors.retry import RetryPolicy, retrying
from connectors.todoist_map import remote_project, remote_section, remote_task, task_args
from sync.errors import AuthError, RateLimited, RemoteError, TransientError, UserError
from sync.model import (
    Action,
    Applied,
    Create,
    Delete,
    Record,
    Remote,
    Service,
    Snapshot,
    Update,
)
from sync.plan import Plan
from sync.state import Pending, StateStore

SERVICE: Service = "todoist"
Mirror = dict[str, dict[str, Any]]
T = TypeVar("T")
SYNC_URL = f"{API_URL}/sync"
ARCHIVED_URL = f"{API_URL}/projects/archived"
BATCH = 100  # commands per /sync request (documented limit)
RESOURCES = ["projects", "sections", "items"]
COMPLETED_WINDOW = timedelta(days=90)  # the API allows up to 3 months per query


def map_error(response: httpx.Response) -> RemoteError:
    """A Todoist error response as one of careersync's errors."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    tag, message = body.get("error_tag", ""), body.get("error") or response.reason_phrase
    status = response.status_code
    if status == 401 or tag in ("AUTH_INVALID_TOKEN", "AUTH_INSUFFICIENT_TOKEN_SCOPE"):
        return AuthError(
            SERVICE,
            f"the API token was rejected ({message})",
            "run `careersync auth todoist` with the token from Settings > Integrations > Developer",
            status,
        )
    if status == 429:
        extra = body.get("error_extra") or {}
        after = extra.get("retry_after") or response.headers.get("retry-after") or 60
        return RateLimited(SERVICE, float(after), status)
    if status >= 500:
        return TransientError(SERVICE, f"server error {status} ({message})", None, status)
    if tag == "MAX_ITEMS_LIMIT_REACHED":
        return RemoteError(
            SERVICE,
            "the project is full (Todoist allows 300 active tasks per project)",
            "complete or remove tasks in it, or split the plan in two",
            status,
        )
    return RemoteError(SERVICE, f"request refused ({status} {tag or message})", None, status)


def _transport(call: Any) -> Any:
    """Run an HTTP call, turning transport failures and error statuses into careersync errors."""
    try:
        return call()
    except httpx.HTTPStatusError as exc:
        raise map_error(exc.response) from exc
    except httpx.TransportError as exc:
        raise TransientError(SERVICE, f"connection failed ({type(exc).__name__})") from exc
    except (ValueError, KeyError, TypeError) as exc:  # the SDK parsing a malformed answer
        raise TransientError(SERVICE, f"the reply was not a valid answer ({exc})") from exc


def _answer(response: httpx.Response) -> dict[str, Any]:
    """A `/sync` answer's JSON object; anything else (a proxy's page, a cut-off body) is transient."""
    text = response.text
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data
    if not text.strip():
        what = "an empty body"
    elif "html" in response.headers.get("content-type", "") or text.lstrip().startswith("<"):
        what = "an HTML page: a captive portal or proxy?"
    else:
        what = "cut-off or malformed JSON"
    raise TransientError(SERVICE, f"the reply was not a valid answer ({what})")


class TodoistConnector:
    def __init__(
        self,
        client: httpx.Client,
        token: str,
        store: StateStore,
        plan: Plan,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.token = token
        self.api = TodoistAPI(token, client=client)
        self.store = store
        self.plan = plan
        self.policy = policy or RetryPolicy()
        self.section_keys = {m.title: f"section:{m.id}" for m in plan.milestones}
        self.notices: list[str] = []  # one line each, for the user (a fallback taken ...)
        self._unsaved: tuple[Mirror, Mirror, str | None] | None = None

    # Reading -----------------------------------------------------------------------------
    def _sync(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}

        def post() -> dict[str, Any]:
            response = self.client.post(SYNC_URL, json=payload, headers=headers)
            response.raise_for_status()
            return _answer(response)

        return retrying(self.policy, lambda: _transport(post))

    def _read(self, token: str | None) -> dict[str, Any]:
        """One `/sync` read; a saved token the server refuses falls back to one full read."""
        try:
            return self._sync({"sync_token": token or "*", "resource_types": RESOURCES})
        except RemoteError as exc:
            if token is None or exc.status != 400:
                raise
        self.notices.append(
            "Todoist: the server no longer accepts the saved sync token; did one full read instead"
        )
        return self._sync({"sync_token": "*", "resource_types": RESOURCES})

    def gather(self, now: datetime, *, persist: bool = True) -> Snapshot:
        """The plan's project as it is now: one `/sync` read (plus completed tasks on a full read).

        The new mirror and sync token are kept by `save()` (at once with `persist`), so a run
        that is refused after reading leaves the state as it was.
        """
        plan_id = self.plan.id
        token = self.store.cursor(plan_id, SERVICE, "sync_token")
        data = self._read(token)
        full = bool(data.get("full_sync", token is None)) or token is None
        previous = self.store.mirror(plan_id, SERVICE)
        mirror = {} if full else dict(previous)
        for kind, objects in (("project", "projects"), ("section", "sections"), ("item", "items")):
            for obj in data.get(objects, []):
                mirror[f"{kind}:{obj['id']}"] = obj
        project_id = self._project_id(mirror)
        self._refuse_archived(mirror.get(f"project:{project_id}") if project_id else None, full)
        if full and project_id:
            for obj in self._completed(project_id, now):
                mirror.setdefault(f"item:{obj['id']}", obj)
        ours = {k: v for k, v in mirror.items() if _belongs(k, v, project_id)}
        self._unsaved = (previous, ours, data.get("sync_token"))
        if persist:
            self.save()
        return self._snapshot(ours)

    def save(self) -> None:
        """Keep what the last `gather` read: the mirror, the sync token, recurring completions."""
        if self._unsaved is None:
            return
        previous, ours, token = self._unsaved
        with self.store.transaction():
            self._record_occurrences(previous, ours)
            self.store.update_mirror(self.plan.id, SERVICE, ours, replace=True)
            self.store.set_cursor(self.plan.id, SERVICE, "sync_token", token)
        self._unsaved = None

    def _project_id(self, mirror: Mapping[str, Mapping[str, Any]]) -> str | None:
        record = self.store.records(self.plan.id, SERVICE).get("project")
        if record is not None:
            return record.remote_id
        for key, obj in mirror.items():
            mine = key.startswith("project:") and remote_project(obj, self.plan.id).key
            if mine and not obj.get("is_deleted"):
                return str(obj["id"])
        return None

    def _refuse_archived(self, project: Mapping[str, Any] | None, full: bool) -> None:
        """Stop before anything is written when the plan's project is archived.

        A full read leaves archived projects out, so one that finds no project (or not the
        recorded one) looks in the archived list for it, by its id or its marker.
        """
        if project is None and full:
            record = self.store.records(self.plan.id, SERVICE).get("project")
            for obj in self._archived_projects():
                mine = remote_project(obj, self.plan.id).key is not None
                if mine or (record is not None and obj["id"] == record.remote_id):
                    project = obj
                    break
        if project is not None and project.get("is_archived"):
            raise UserError(
                f'Todoist: the plan\'s project "{project["name"]}" is archived; careersync'
                " leaves archived projects alone and wrote nothing",
                "unarchive it in Todoist to resume, or set CAREERSYNC_TODOIST_ENABLED=false",
            )

    def _archived_projects(self) -> Iterator[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        cursor: str | None = None
        while True:
            params = {"limit": 200, **({"cursor": cursor} if cursor else {})}

            def get(params: Mapping[str, Any] = params) -> dict[str, Any]:
                response = self.client.get(ARCHIVED_URL, params=params, headers=headers)
                response.raise_for_status()
                return _answer(response)

            page = retrying(self.policy, lambda: _transport(get))
            yield from page.get("results") or []
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def _completed(self, project_id: str, now: datetime) -> Iterator[dict[str, Any]]:
        """Tasks completed in the project since the plan started (full syncs omit them)."""
        since = datetime.combine(self.plan.start, datetime.min.time(), self.plan.tz) - timedelta(
            days=7
        )
        end = now + timedelta(minutes=1)  # `until` is exclusive
        while since < end:
            until = min(since + COMPLETED_WINDOW, end)
            for page in retrying(self.policy, self._window(since, until)):
                for task in page:
                    if task.project_id == project_id:
                        yield _task_dict(task)
            since = until

    def _window(self, since: datetime, until: datetime) -> Callable[[], list[list[Any]]]:
        """One completed-tasks window, read whole (all its pages), as a retryable call."""

        def read() -> list[list[Any]]:
            pages = self.api.get_completed_tasks_by_completion_date
            return list(pages(since=since, until=until, limit=200))

        return lambda: _transport(read)

    def _record_occurrences(
        self, previous: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Completions of recurring tasks since the last read (the completed-task endpoints
        list none of them): the rise of `completed_count`, else one if the due moved forward."""
        for key, obj in current.items():
            if not (obj.get("due") or {}).get("is_recurring"):
                continue
            marked = remote_task(obj, {}, self.plan.id).key
            if marked and (n := _new_occurrences(previous.get(key), obj)):
                at = datetime.fromisoformat(obj["updated_at"].replace("Z", "+00:00"))
                for k in range(n):  # distinct instants: one row each
                    self.store.add_occurrence(
                        self.plan.id, marked.split(":", 1)[1], at - timedelta(microseconds=k)
                    )

    def _snapshot(self, mirror: Mapping[str, Mapping[str, Any]]) -> Snapshot:
        records = self.store.records(self.plan.id, SERVICE)
        keys = {r.remote_id: k for k, r in records.items()}
        remotes: dict[str, Remote] = {}
        for name, obj in mirror.items():
            kind = name.split(":", 1)[0]
            if kind == "project":
                remote = remote_project(obj, self.plan.id)
            elif kind == "section":
                remote = remote_section(obj, self.section_keys)
            else:
                continue
            remotes[remote.remote_id] = remote
            if remote.key and remote.remote_id not in keys:
                keys[remote.remote_id] = remote.key
        items = [obj for name, obj in mirror.items() if name.startswith("item:")]
        for obj in items:  # marks first, so parents resolve
            marked = remote_task(obj, {}, self.plan.id).key
            if marked and obj["id"] not in keys:
                keys[obj["id"]] = marked
        for obj in items:
            remote = remote_task(obj, keys, self.plan.id)
            remotes[remote.remote_id] = remote
        return Snapshot(remotes)

    # Writing -----------------------------------------------------------------------------
    def replay(self) -> Applied:
        """Re-send commands recorded by a run that stopped before it heard back."""
        pending = self.store.pending(self.plan.id, SERVICE)
        applied = Applied()
        ids = {k: r.remote_id for k, r in self.store.records(self.plan.id, SERVICE).items()}
        for batch in _chunks(pending, BATCH):
            self._send(batch, ids, {}, applied, recorded=True)
        return applied

    def apply(self, actions: Sequence[Action]) -> Applied:
        plan_id = self.plan.id
        applied = Applied()  # writes count the commands that landed
        self.store.note(plan_id, SERVICE, actions)
        ids = {k: r.remote_id for k, r in self.store.records(plan_id, SERVICE).items()}
        commands = list(self._commands(actions, ids))
        temps: dict[str, str] = {}
        for batch in _chunks(commands, BATCH):
            self._send(batch, ids, temps, applied, recorded=False)
        return applied

    def close_task(self, task_id: str) -> None:
        """Complete one task as the user would in the app (`careersync done`); a recurring task
        moves to its next date. One `/sync` command: its uuid makes a retry after a lost answer
        safe."""
        uid = str(uuid.uuid4())
        command = {"type": "item_close", "uuid": uid, "args": {"id": task_id}}
        status = (self._sync({"commands": [command]}).get("sync_status") or {}).get(uid)
        if status != "ok":
            error = status if isinstance(status, dict) else {}
            tag = str(error.get("error_tag", "no answer"))
            raise RemoteError(
                SERVICE,
                f"completing the task failed: {error.get('error', tag)} ({tag})",
                "run `careersync sync` and try again" if tag.endswith("NOT_FOUND") else None,
            )

    def _commands(self, actions: Iterable[Action], ids: dict[str, str]) -> Iterator[Pending]:
        for action in actions:
            if isinstance(action, Create):
                temp = str(uuid.uuid4())
                ids[action.key] = temp
                yield _pending(
                    self._create(action, ids, temp), action.key, "create", action.item.fields
                )
            elif isinstance(action, Update):
                yield from self._update(action, ids)
            elif isinstance(action, Delete):
                kind = {"project": "project", "section": "section"}.get(action.kind, "item")
                yield _pending(
                    {"type": f"{kind}_delete", "args": {"id": action.remote_id}},
                    action.key,
                    "delete",
                )

    def _create(self, action: Create, ids: Mapping[str, str], temp: str) -> dict[str, Any]:
        item, fields = action.item, action.item.fields
        if item.kind == "project":
            return {"type": "project_add", "temp_id": temp, "args": dict(fields)}
        project = ids["project"]
        if item.kind == "section":
            args = {"name": fields["name"], "project_id": project, "section_order": fields["order"]}
            return {"type": "section_add", "temp_id": temp, "args": args}
        args = {**task_args(fields), "project_id": project, "child_order": fields["order"]}
        args.update(self._place(fields["parent"], ids))
        return {"type": "item_add", "temp_id": temp, "args": args}

    @staticmethod
    def _place(parent: str | None, ids: Mapping[str, str]) -> dict[str, str]:
        """Where a task goes: under a parent task, in a section, or at the project's top."""
        if parent is None or parent not in ids or parent == "project":
            return {"project_id": ids["project"]}
        return {("parent_id" if parent.startswith("task:") else "section_id"): ids[parent]}

    def _update(self, action: Update, ids: Mapping[str, str]) -> Iterator[Pending]:
        rid, changes, kind = action.remote_id, dict(action.changes), action.item.kind
        synced = action.item.fields
        commands: list[dict[str, Any]] = []
        if kind == "project":
            commands.append({"type": "project_update", "args": {"id": rid, **changes}})
        elif kind == "section":
            if "name" in changes:
                commands.append(
                    {"type": "section_update", "args": {"id": rid, "name": changes["name"]}}
                )
            if "order" in changes:
                order = {"id": rid, "section_order": changes["order"]}
                commands.append({"type": "section_reorder", "args": {"sections": [order]}})
        else:
            args = task_args(changes)
            if args:
                commands.append({"type": "item_update", "args": {"id": rid, **args}})
            if "parent" in changes:
                commands.append(
                    {
                        "type": "item_move",
                        "args": {"id": rid, **self._place(changes["parent"], ids)},
                    }
                )
            if "order" in changes:
                order = {"id": rid, "child_order": changes["order"]}
                commands.append({"type": "item_reorder", "args": {"items": [order]}})
        for n, command in enumerate(commands, start=1):
            last = n == len(commands)
            yield _pending(command, action.key, "update" if last else "part", synced)

    def _send(
        self,
        batch: Sequence[Pending],
        ids: dict[str, str],
        temps: dict[str, str],
        applied: Applied,
        *,
        recorded: bool,
    ) -> None:
        commands = [_resolve(p.command["command"], temps) for p in batch]
        batch = [
            Pending(p.uuid, {**p.command, "command": c})
            for p, c in zip(batch, commands, strict=True)
        ]
        if not recorded:
            self.store.add_pending(self.plan.id, SERVICE, batch)
        data = self._sync({"commands": commands})
        statuses: Mapping[str, Any] = data.get("sync_status") or {}
        temps.update(data.get("temp_id_mapping") or {})
        with self.store.transaction():
            for pending in batch:
                self._landed(pending, statuses.get(pending.uuid), temps, ids, applied)
            self.store.clear_pending(p.uuid for p in batch)

    def _landed(
        self,
        pending: Pending,
        status: Any,
        temps: Mapping[str, str],
        ids: dict[str, str],
        applied: Applied,
    ) -> None:
        plan_id, meta = self.plan.id, pending.command
        key, op, command = meta["key"], meta["op"], meta["command"]
        if status != "ok":
            error = status or {}
            tag = str(error.get("error_tag", "no answer"))
            if tag.endswith("NOT_FOUND"):  # NOT_FOUND, ITEM_NOT_FOUND, PROJECT_NOT_FOUND ...
                if op == "delete":
                    self.store.remove(plan_id, SERVICE, key)
                else:
                    self.store.set_status(plan_id, SERVICE, key, "dismissed", None)
                return
            message = error.get("error", tag)
            applied.errors.append(f"{key}: {command['type']} failed: {message} ({tag})")
            return
        applied.writes += 1
        if op == "create":
            remote_id = temps.get(command.get("temp_id", ""))
            if remote_id is None:
                return  # landed, but the id is unknown: the next gather re-links it by its marker
            ids[key] = remote_id
            self.store.put(plan_id, SERVICE, Record(key, remote_id, meta["synced"]))
        elif op == "update":
            rid = command["args"].get("id") or ids[key]
            self.store.put(plan_id, SERVICE, Record(key, rid, meta["synced"]))
        elif op == "delete":
            self.store.remove(plan_id, SERVICE, key)


def _pending(
    command: dict[str, Any], key: str, op: str, synced: Mapping[str, Any] | None = None
) -> Pending:
    uid = str(uuid.uuid4())
    meta = {"command": {**command, "uuid": uid}, "key": key, "op": op, "synced": dict(synced or {})}
    return Pending(uid, meta)


def _resolve(command: dict[str, Any], temps: Mapping[str, str]) -> dict[str, Any]:
    """Swap temp ids that earlier requests already mapped for the real ids."""
    args = {
        k: temps.get(v, v) if isinstance(v, str) and k.endswith("_id") else v
        for k, v in command["args"].items()
    }
    return {**command, "args": args}


def _new_occurrences(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> int:
    count, before = new.get("completed_count"), (old or {}).get("completed_count", 0)
    if isinstance(count, int) and isinstance(before, int):
        return max(0, count - before)  # an undone completion lowers it: nothing to add
    due, old_due = new.get("due") or {}, (old or {}).get("due") or {}
    moved = old_due.get("date") and str(due.get("date"))[:10] > str(old_due["date"])[:10]
    return 1 if moved else 0


def _belongs(name: str, obj: Mapping[str, Any], project_id: str | None) -> bool:
    if project_id is None:
        return False
    if name.startswith("project:"):
        return bool(obj["id"] == project_id)
    return bool(obj.get("project_id") == project_id)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _task_dict(task: Any) -> dict[str, Any]:
    """An SDK `Task` back in the API's shape, for the mirror."""
    due = task.due
    return {
        "id": task.id,
        "project_id": task.project_id,
        "section_id": task.section_id,
        "parent_id": task.parent_id,
        "content": task.content,
        "description": task.description,
        "labels": list(task.labels or []),
        "priority": task.priority,
        "child_order": task.order,
        "due": None
        if due is None
        else {"date": str(due.date), "string": due.string, "is_recurring": due.is_recurring},
        "deadline": None if task.deadline is None else {"date": str(task.deadline.date)},
        "duration": None
        if task.duration is None
        else {"amount": task.duration.amount, "unit": task.duration.unit},
        "checked": True,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "updated_at": task.updated_at.isoformat() if task.updated_at else None,
        "is_deleted": False,
    }
