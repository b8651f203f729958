"""Settings: one class, the same names everywhere.

Sources, strongest first: values passed in (CLI flags), environment variables `CAREERSYNC_<NAME>`,
the TOML settings file (`--config FILE`, else `settings.toml` in the user config dir), defaults.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from sync.errors import ConfigError

APP = "careersync"
ENV_PREFIX = "CAREERSYNC_"
Source = Literal["flag", "env", "file", "default"]


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "settings.toml"


def local_timezone() -> str:
    """The machine's IANA zone name: `TZ`, else the /etc/localtime link, else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(IndexError, OSError):
        candidates.append(str(Path("/etc/localtime").resolve()).split("zoneinfo/", 1)[1])
    for name in candidates:
        try:
            if name:
                ZoneInfo(name)
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


_file_values: ContextVar[dict[str, Any] | None] = ContextVar("_file_values", default=None)


class Settings(BaseSettings):
    """Everything careersync can be told, besides the plan itself."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", use_attribute_docstrings=True
    )

    home: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP)))
    """Where all local state lives: the state DB, sandbox data, logs, reports."""

    timezone: str = Field(default_factory=local_timezone)
    """Default IANA time zone for plans that do not name one."""

    todoist_api_url: str = "https://api.todoist.com/api/v1"
    """Todoist API base URL; point it at the sandbox or a proxy."""

    google_api_root: str = "https://www.googleapis.com/"
    """Google API root; Calendar lives under `calendar/v3/`, batches under `batch/calendar/v3`."""

    google_token_uri: str = "https://oauth2.googleapis.com/token"
    """OAuth token endpoint used to refresh Google credentials."""

    poll_interval: int = Field(300, ge=10)
    """Seconds between scheduler cycles in `careersync run`."""

    plan_settle_seconds: float = Field(3.0, ge=0, le=60)
    """Seconds a changed plan file must stay unchanged before `careersync run` reloads it."""

    todoist_enabled: bool = True
    """Sync the plan to Todoist."""

    google_enabled: bool = True
    """Place focus blocks in Google Calendar."""

    calendar_id: str | None = None
    """Use this existing calendar for the plan instead of creating "Career plan: <title>"
    (needs `careersync auth google` again: Google's calendar.events permission)."""

    busy_calendars: list[str] = ["primary"]
    """The user's own calendars whose busy time focus blocks must avoid (the calendars of the
    other plans synced from this machine are added)."""

    frozen_horizon: timedelta = timedelta(hours=24)
    """Focus blocks starting sooner than this stay put on a re-plan, unless on busy time."""

    busy_refresh: timedelta = timedelta(minutes=15)
    """`run` reads busy time again when what it read is older than this."""

    google_client_secrets: Path | None = None
    """OAuth client file (from Google Cloud console) used by `careersync auth google`."""

    todoist_token: SecretStr | None = None
    """Todoist API token; overrides the keyring (for headless machines)."""

    google_credentials: SecretStr | None = None
    """Google authorized-user JSON, inline or a path; overrides the keyring."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {value!r} (use an IANA name like Europe/London)"
            raise ValueError(msg) from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_source = InitSettingsSource(settings_cls, init_kwargs=_file_values.get() or {})
        return init_settings, env_settings, file_source

    @property
    def state_db(self) -> Path:
        return self.home / "state.db"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"


SECRET_FIELDS = frozenset({"todoist_token", "google_credentials"})


def read_settings_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}", "fix the TOML syntax") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {unknown[0]!r}",
            "see `careersync config show` for the valid names",
        )
    return data


def load_settings(config: Path | None = None, **flags: Any) -> Settings:
    """Settings from flags, env and the settings file; a bad value is one clear `ConfigError`."""
    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: settings file not found", "check the --config path")
    path = config or default_config_file()
    token = _file_values.set(read_settings_file(path))
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except SettingsError as exc:  # a list or dict setting whose env value is not JSON
        field = str(exc).split('"')[1] if '"' in str(exc) else "a setting"
        raise ConfigError(
            f"invalid setting {field} from ${ENV_PREFIX}{field.upper()}: not valid JSON",
            f"write lists as JSON, e.g. {ENV_PREFIX}BUSY_CALENDARS='[\"primary\"]'",
        ) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        where = sources_of(flags, path).get(name, "default")
        origin = {"env": f"${ENV_PREFIX}{name.upper()}", "file": str(path)}.get(where, name)
        raise ConfigError(f"invalid setting {name} from {origin}: {err['msg']}") from exc
    finally:
        _file_values.reset(token)


def sources_of(flags: Mapping[str, Any], path: Path | None = None) -> dict[str, Source]:
    """Where each setting's effective value comes from."""
    file_values = read_settings_file(path or default_config_file())
    result: dict[str, Source] = {}
    for name in Settings.model_fields:
        if flags.get(name) is not None:
            result[name] = "flag"
        elif f"{ENV_PREFIX}{name.upper()}" in {k.upper() for k in os.environ}:
            result[name] = "env"
        elif name in file_values:
            result[name] = "file"
        else:
            result[name] = "default"
    return result
