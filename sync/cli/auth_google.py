"""`careersync auth google`: sign in to Google in the browser, keep the credentials in the keyring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sync.cli.common import console, state
from sync.errors import AuthError, UserError
from sync.secrets import SecretStore

if TYPE_CHECKING:
    from google_auth_oauthlib.flow import InstalledAppFlow

CLIENT_FIX = (
    "in the Google Cloud console (APIs & Services > Credentials) create an OAuth client of type"
    ' "Desktop app", download its JSON and pass it with --client-secrets FILE'
    " (or set google_client_secrets)"
)


def google(
    ctx: typer.Context,
    client_secrets: Path | None = typer.Option(
        None,
        "--client-secrets",
        help="OAuth client file (Desktop app) from the Google Cloud console;"
        " default: the google_client_secrets setting.",
        dir_okay=False,
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Print the sign-in URL instead of opening a browser."
    ),
) -> None:
    """Sign in to Google Calendar in the browser and store the credentials in the keyring.

    careersync asks only to manage calendars it creates, to see when you are busy, and to list
    your calendars (to find its own again); with the calendar_id setting, also to edit events
    in all your calendars. Example: careersync auth google --client-secrets
    client_secret.json
    """
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    settings = state(ctx).settings
    path = client_secrets or settings.google_client_secrets
    flow = _flow(path, settings.calendar_id)
    try:
        creds = flow.run_local_server(port=0, prompt="consent", open_browser=not no_browser)
    except Warning as exc:  # oauthlib: the user granted fewer scopes than asked for
        raise AuthError(
            "google",
            "not every permission careersync needs was granted",
            "run `careersync auth google` again and allow everything it asks for",
        ) from exc
    except OAuth2Error as exc:
        raise AuthError(
            "google", f"Google sign-in failed ({exc.description or exc.error})"
        ) from exc
    except OSError as exc:
        raise AuthError("google", f"cannot reach Google's sign-in server ({exc})") from exc
    if not creds.refresh_token:
        raise AuthError(
            "google",
            "Google sent no refresh token",
            "remove careersync at https://myaccount.google.com/permissions and sign in again",
        )
    SecretStore(settings).set("google", creds.to_json())
    console.print("[green]saved[/] the Google credentials in the keyring")


def _flow(path: Path | None, calendar_id: str | None = None) -> InstalledAppFlow:
    from google_auth_oauthlib.flow import InstalledAppFlow  # loaded only when signing in

    from connectors.gcal import scopes_for

    if path is None:
        raise UserError("no OAuth client file for Google", CLIENT_FIX)
    path = path.expanduser()
    if not path.is_file():
        raise UserError(f"{path}: OAuth client file not found", CLIENT_FIX)
    try:
        return InstalledAppFlow.from_client_secrets_file(str(path), scopes_for(calendar_id))
    except (ValueError, KeyError, OSError) as exc:  # JSONDecodeError is a ValueError
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise UserError(f"{path}: not a Google OAuth client file ({detail})", CLIENT_FIX) from exc
