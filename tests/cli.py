"""The CLI in-process (typer's CliRunner): fast, and still the real commands, SDKs and sandbox.

`Cli(home)` runs `careersync ARGS` with CAREERSYNC_HOME, the settings file and the keyring all
inside `home` (the keyring is tests.keyring_backend.FileKeyring), never the developer's own.
`Cli.sandbox()` points it at a loopback sandbox server (port 0).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import keyring
from typer.testing import CliRunner, Result

from connectors.sandbox import TODOIST_TOKEN, Sandbox
from connectors.sandbox.server import SandboxServer
from sync.cli import app
from tests.keyring_backend import FileKeyring


@dataclass
class Cli:
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def base_env(self) -> dict[str, str | None]:
        unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CAREERSYNC_")}
        return unset | {
            "NO_COLOR": "1",
            "COLUMNS": None,
            "CAREERSYNC_HOME": str(self.home),
            "CAREERSYNC_TIMEZONE": "UTC",
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "CAREERSYNC_TEST_KEYRING": str(self.home / "keyring.json"),
        }

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        previous = keyring.get_keyring()
        keyring.set_keyring(FileKeyring())
        try:
            return CliRunner().invoke(
                app,
                list(args),
                input=input,
                env=self.base_env() | self.env | (env or {}),
                prog_name="careersync",
            )
        finally:
            keyring.set_keyring(previous)

    @contextmanager
    def sandbox(self, sandbox: Sandbox | None = None) -> Iterator[Sandbox]:
        """Serve a sandbox on a loopback port and point this CLI at it."""
        sandbox = sandbox or Sandbox()
        server = SandboxServer(sandbox)
        server.start()
        token_uri = server.base_url + "/token"
        saved = dict(self.env)
        self.env |= {
            "CAREERSYNC_TODOIST_API_URL": server.todoist_url,
            "CAREERSYNC_TODOIST_TOKEN": TODOIST_TOKEN,
            "CAREERSYNC_GOOGLE_API_ROOT": server.google_root,
            "CAREERSYNC_GOOGLE_TOKEN_URI": token_uri,
            "CAREERSYNC_GOOGLE_CREDENTIALS": json.dumps(sandbox.google_credentials_info(token_uri)),
        }
        try:
            yield sandbox
        finally:
            self.env = saved
            server.shutdown()
            server.server_close()
