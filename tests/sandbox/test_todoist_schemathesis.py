"""A bounded schemathesis run of the Todoist emulator against Todoist's OpenAPI document.

Every operation the emulator implements is fuzzed with schema-valid and schema-breaking inputs
over loopback HTTP; the emulator must never answer 5xx (or drop the connection) and every
answer it gives must match the document's response schema for that status. Hypothesis is
derandomized and the examples per operation are few, so the run is repeatable and short.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from connectors.sandbox import TODOIST_TOKEN, Sandbox  # noqa: E402
from connectors.sandbox.server import SandboxServer  # noqa: E402

SPEC_PATH = Path(
    os.environ.get("TODOIST_OPENAPI")
    or Path(__file__).resolve().parents[3] / "shared" / "api-notes" / "todoist-openapi.json"
)
if not SPEC_PATH.exists():  # pragma: no cover - the document lives outside the repository
    pytest.skip("Todoist's OpenAPI document is not here", allow_module_level=True)
EXAMPLES = int(os.environ.get("CAREERSYNC_FUZZ_EXAMPLES", "8"))
# The operations the emulator implements (see the docstring of connectors/sandbox/todoist.py).
EMULATED = (
    r"^/api/v1/(projects(/archived|/\{project_id\}(/archive|/unarchive|/collaborators)?)?"
    r"|sections(/\{section_id\})?"
    r"|tasks(/completed/by_completion_date|/completed/by_due_date"
    r"|/\{task_id\}(/close|/reopen|/move)?)?"
    r"|comments(/\{comment_id\})?|labels(/\{label_id\})?|user)$"
)
schema = schemathesis.openapi.from_path(str(SPEC_PATH)).include(path_regex=EMULATED)
schema.config.generation.update(deterministic=True)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    sandbox = Sandbox(clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    sandbox.todoist.rate_limits.update(rest=10**9, sync_partial=10**9, sync_full=10**9)
    server = SandboxServer(sandbox)
    server.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_emulator_answers_within_the_document(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(
        base_url=base_url,
        headers={"Authorization": f"Bearer {TODOIST_TOKEN}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
