"""`careersync run` as a real process against `careersync sandbox serve` as a real server, and
`careersync service install/uninstall`.

The end-to-end test drives what a user does while the scheduler runs: completing tasks in
Todoist, editing the plan (well and badly), stopping it with SIGTERM; then checks that the state
is consistent and a dry run has nothing left to do. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from connectors.sandbox import TODOIST_TOKEN
from sync.cli.service import LABEL, launchd_plist, service_for, systemd_unit
from sync.lock import hold_lock
from sync.state import StateStore

REPO = Path(__file__).resolve().parent.parent
PLAN = (REPO / "config" / "short-term-plan.yaml").read_text()
PLAN_ID = "cloud-security"
TIMEOUT = 30.0


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERSYNC_")}
    return env | {
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "PYTHONPATH": str(REPO),
        "CAREERSYNC_HOME": str(home),
        "CAREERSYNC_TIMEZONE": "UTC",
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.FileKeyring",
        "CAREERSYNC_TEST_KEYRING": str(home / "keyring.json"),
    }


class Process:
    """A careersync subprocess whose output lines are collected as they arrive."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "sync", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.popen.stdout is not None
        assert self.popen.stderr is not None
        self.readers = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.popen.stderr, self.err), daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, stream: IO[str], into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))
            self.lines.put(line)
        stream.close()

    def until(self, what: str, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if self.popen.poll() is not None:
                pytest.fail(f"exited ({self.popen.returncode}) waiting for {what}: {self.err}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}: {self.out} {self.err}")
            with contextlib.suppress(queue.Empty):
                self.lines.get(timeout=0.1)

    def synced(self) -> list[str]:
        return [line for line in self.out if " synced: " in line]

    def stop(self) -> int:
        self.popen.send_signal(signal.SIGTERM)
        code = self.popen.wait(timeout=TIMEOUT)
        for reader in self.readers:
            reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)
        for reader in self.readers:
            reader.join(timeout=5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Process, dict[str, str]]]:
    """`careersync sandbox serve --port 0`, and the env lines it printed."""
    proc = Process("sandbox", "serve", "--port", "0", env=base_env(tmp_path / "server"))
    try:
        proc.until("the env lines", lambda: any("GOOGLE_CREDENTIALS" in line for line in proc.out))
        exports = [shlex.split(line)[1] for line in proc.out if line.startswith("export ")]
        yield proc, dict(e.split("=", 1) for e in exports)
    finally:
        proc.kill()


def test_run_as_a_process_against_the_sandbox_server(
    tmp_path: Path, server: tuple[Process, dict[str, str]]
) -> None:
    sandbox, urls = server
    assert urls["CAREERSYNC_TODOIST_TOKEN"] == TODOIST_TOKEN
    api = urls["CAREERSYNC_TODOIST_API_URL"]
    assert api.startswith("http://127.0.0.1:")
    assert api.endswith("/api/v1")
    assert json.loads(urls["CAREERSYNC_GOOGLE_CREDENTIALS"])["type"] == "authorized_user"
    home = tmp_path / "home"
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    env = base_env(home) | urls  # Todoist and Google Calendar, both on the sandbox server
    http = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {TODOIST_TOKEN}"})
    run = Process("run", str(plan), "--interval", "1", env=env)
    second: Process | None = None
    try:
        run.until("the first sync", lambda: len(run.synced()) >= 1)
        assert " changes, " in run.synced()[0]
        second = Process("run", str(plan), "--once", env=env)  # refused: the home is in use
        run.until(
            "an idle cycle",
            lambda: "up to date (todoist 1 request, google 1 request)" in run.out[-1],
        )

        # the user completes two tasks in Todoist; the next cycles pull them and write progress
        ids = remote_ids(home)
        for key in ("task:iam-course", "task:iam-notes"):
            http.post(f"/tasks/{ids[key]}/close").raise_for_status()
        seen = len(run.out)
        run.until("the completions", lambda: any("changes" in x for x in run.out[seen:]))
        status = Process("status", str(plan), "--json", env=env)

        # a good edit is picked up; a broken one is reported once and ignored
        old, new = "Attend a webinar on zero-trust networking", "Attend a zero-trust webinar"
        plan.write_text(PLAN.replace(old, new))
        run.until("the renamed task", lambda: task(http, ids["task:webinar"]) == new)
        assert status.popen.wait(timeout=TIMEOUT) == 0
        status.kill()  # joins its readers
        done = {a["id"] for a in json.loads("".join(status.out))["actions"] if a["done"]}
        assert done == {"iam-course", "iam-notes"}
        plan.write_text(PLAN.replace(old, new).replace("milestones:", "milestones: [", 1))
        run.until("the broken edit", lambda: any("keeping the last good" in x for x in run.err))
        count = len(run.synced())
        run.until("another cycle", lambda: len(run.synced()) > count)
        assert sum("keeping the last good" in line for line in run.err) == 1
        assert all("Traceback" not in line for line in run.err)

        assert run.stop() == 0
        assert "stopping after the current step" in "\n".join(run.err)
        assert second.popen.wait(timeout=TIMEOUT) == 2
        second.kill()
        assert second.err[0].startswith(f"error: another careersync run is using {home}")
    finally:
        run.kill()
        if second is not None:
            second.kill()
        http.close()

    with hold_lock(home):  # released
        pass
    store = StateStore(home / "state.db")
    try:
        assert store.check(PLAN_ID) == []
        assert store.pending(PLAN_ID, "todoist") == []
    finally:
        store.close()
    assert (home / "logs" / "careersync.log").read_text().count("synced") >= 4
    plan.write_text(PLAN.replace(old, new))
    dry = careersync("sync", str(plan), "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    ops = {a["op"] for a in json.loads(dry.stdout)["actions"]}
    assert ops <= {"record", "forget"}, dry.stdout

    assert sandbox.stop() == 0
    assert (tmp_path / "server" / "sandbox" / "state.json").stat().st_size > 0


def remote_ids(home: Path) -> dict[str, str]:
    store = StateStore(home / "state.db")
    try:
        return {k: r.remote_id for k, r in store.records(PLAN_ID, "todoist").items()}
    finally:
        store.close()


def task(http: httpx.Client, task_id: str) -> str:
    content: str = http.get(f"/tasks/{task_id}").raise_for_status().json()["content"]
    return content


def careersync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# The service files -------------------------------------------------------------------------


def test_the_systemd_unit_runs_this_careersync_on_the_plan(tmp_path: Path) -> None:
    argv = ["/opt/my tools/careersync", "run", "/home/me/plan 100%.yaml"]
    unit = systemd_unit(argv, tmp_path / "home")
    assert 'ExecStart="/opt/my tools/careersync" run "/home/me/plan 100%%.yaml"\n' in unit
    assert f'Environment="CAREERSYNC_HOME={tmp_path / "home"}"' in unit or (
        f"Environment=CAREERSYNC_HOME={tmp_path / 'home'}" in unit
    )
    assert "Restart=on-failure" in unit
    assert "WantedBy=default.target" in unit


def test_the_launchd_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    argv = ["/usr/local/bin/careersync", "run", "/p.yaml"]
    service = service_for(argv, tmp_path, "p1", "darwin")
    assert service.path == tmp_path / "Library" / "LaunchAgents" / f"{LABEL}.p1.plist"
    assert service.text == launchd_plist(argv, tmp_path, label=f"{LABEL}.p1")
    assert "<string>/p.yaml</string>" in service.text
    assert service.enable == f"launchctl load -w {service.path}"
