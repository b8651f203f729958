"""Secrets: the Todoist token and Google credentials, in the OS keyring.

`CAREERSYNC_TODOIST_TOKEN` and `CAREERSYNC_GOOGLE_CREDENTIALS` (inline JSON or a path) override
the keyring for headless machines. A secret is never printed, logged or written anywhere else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

import keyring
import keyring.errors

from sync.errors import SecretError
from sync.settings import Settings

KEYRING_SERVICE = "careersync"
T = TypeVar("T")
Name = Literal["todoist", "google"]
NAMES: tuple[Name, ...] = ("todoist", "google")
ENV = {"todoist": "CAREERSYNC_TODOIST_TOKEN", "google": "CAREERSYNC_GOOGLE_CREDENTIALS"}
NO_BACKEND_FIX = (
    "set {env} instead, or install a keyring backend (e.g. `{python} -m pip install "
    "keyrings.alt`, or run a Secret Service such as gnome-keyring)"
)


class SecretStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _override(self, name: Name) -> str | None:
        secret = (
            self.settings.todoist_token if name == "todoist" else self.settings.google_credentials
        )
        if secret is None:
            return None
        value = secret.get_secret_value()
        if name == "google" and not value.lstrip().startswith("{"):
            try:
                return Path(value).expanduser().read_text()
            except OSError as exc:
                raise SecretError(
                    f"{ENV['google']} names a file that cannot be read ({exc.strerror})",
                    "set it to the authorized-user JSON itself or to a readable path",
                ) from exc
        return value

    def source(self, name: Name) -> Literal["env", "keyring"] | None:
        if self._override(name) is not None:
            return "env"
        return "keyring" if self._keyring_get(name) is not None else None

    def get(self, name: Name) -> str | None:
        override = self._override(name)
        return override if override is not None else self._keyring_get(name)

    def require(self, name: Name) -> str:
        value = self.get(name)
        if value is None:
            raise SecretError(
                f"no {name} credentials",
                f"run `careersync auth {name}` or set {ENV[name]}",
            )
        return value

    def set(self, name: Name, value: str) -> None:
        self._call(name, lambda: keyring.set_password(KEYRING_SERVICE, name, value))

    def delete(self, name: Name) -> bool:
        """Remove the stored secret; False when there was none."""
        try:
            self._call(name, lambda: keyring.delete_password(KEYRING_SERVICE, name))
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def _keyring_get(self, name: Name) -> str | None:
        return self._call(name, lambda: keyring.get_password(KEYRING_SERVICE, name))

    @staticmethod
    def _call(name: Name, op: Callable[[], T]) -> T:
        try:
            return op()
        except keyring.errors.PasswordDeleteError:
            raise
        except (keyring.errors.NoKeyringError, keyring.errors.InitError) as exc:
            raise SecretError(
                "no usable keyring backend on this machine",
                NO_BACKEND_FIX.format(env=ENV[name], python=sys.executable),
            ) from exc
        except keyring.errors.KeyringError as exc:
            raise SecretError(
                f"the keyring refused: {type(exc).__name__}",
                NO_BACKEND_FIX.format(env=ENV[name], python=sys.executable),
            ) from exc
