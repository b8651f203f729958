"""The sandbox user as Todoist's `GET /api/v1/user` shows it (OpenAPI schema `UserJSON`).

Every field the schema requires is present, with the values a fresh Pro account has (the
schema's examples where it gives them); `tz_info` follows the user's time zone on the
emulator's clock, `completed_count` / `completed_today` count the emulator's completions.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

USER_ID = "2671355"
EMAIL = "sandbox@careersync.invalid"


def tz_info(zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The user's zone as Todoist describes it: name, offset from GMT, and whether DST applies."""
    local = now.astimezone(zone)
    minutes = int((local.utcoffset() or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return {
        "timezone": zone.key,
        "gmt_string": f"{sign}{hours:02d}:{mins:02d}",
        "hours": hours if minutes >= 0 else -hours,
        "minutes": mins,
        "is_dst": int(bool(local.dst())),
    }


def user_view(
    *,
    zone: ZoneInfo,
    now: datetime,
    inbox_id: str,
    joined: date,
    completed_count: int,
    completed_today: int,
) -> dict[str, Any]:
    """The `UserJSON` body of the sandbox user."""
    return {
        "id": USER_ID,
        "email": EMAIL,
        "full_name": "Sandbox User",
        "has_password": True,
        "verification_status": "verified",
        "mfa_enabled": False,
        "token": None,  # only shown to the OAuth flow that issued it
        "is_premium": True,
        "premium_status": "current_personal_plan",
        "premium_until": None,
        "free_trial_expires": None,
        "has_started_a_trial": False,
        "joined_at": f"{joined.isoformat()}T00:00:00.000000Z",
        "is_deleted": False,
        "deleted_at": None,
        "business_account_id": None,
        "date_format": 0,
        "time_format": 0,
        "sort_order": 0,
        "theme_id": "todoist",
        "theme_appearance": "system",
        "start_day": 1,
        "weekend_start_day": 6,
        "next_week": 1,
        "auto_reminder": 30,
        "urgent_reminder_device": None,
        "start_page": "today",
        "inbox_project_id": inbox_id,
        "lang": "en",
        "tz_info": tz_info(zone, now),
        "karma": 0,
        "karma_trend": "-",
        "daily_goal": 5,
        "weekly_goal": 25,
        "days_off": [6, 7],
        "is_celebrations_enabled": True,
        "completed_count": completed_count,
        "completed_today": completed_today,
        "share_limit": 5,
        "features": {},
        "feature_identifier": USER_ID,
        "joinable_workspace": None,
        "onboarding_completed": True,
        "onboarding_initiated": True,
        "onboarding_started": True,
        "activated_user": True,
        "has_magic_number": False,
        "image_id": None,
        "avatar_big": None,
        "avatar_medium": None,
        "avatar_s640": None,
        "avatar_small": None,
        "websocket_url": "wss://ws.todoist.com/ws?token=sandbox",
    }
