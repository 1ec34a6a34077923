"""What a phone holds offline, and a cursor that says whether it is still current.

The other features' tables carry no change timestamps, so the cursor cannot ask
"what changed since"; it holds a digest of what was sent instead. Nothing changed:
an empty answer. Anything changed, or a cursor that is invalid, another user's or
too old: everything again, which replaces what the phone held.
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from server.accounts.models import User
from server.settings import Settings
from server.volunteers.models import Volunteer
from sync.scope import (
    Scope,
    load_scope,
    scoped_activities_query,
    team_recipients_query,
    team_volunteers_query,
)

CURSOR_CONTEXT = b"volunteer-service/sync-cursor/v1\x00"


def pull(
    db: Session, user: User, settings: Settings, cursor: str | None, now: datetime
) -> dict[str, Any]:
    scope = load_scope(db, user)
    data = _snapshot(db, scope, now)
    digest = hashlib.sha256(_canonical(data)).hexdigest()[:32]
    new_cursor = _sign(settings, {"u": user.id, "d": digest, "t": int(now.timestamp())})

    reason = _cursor_problem(settings, cursor, user, now)
    if reason is None:
        claims = _claims(settings, cursor or "")
        if claims and claims["d"] == digest:
            return {"full": False, "changed": False, "cursor": new_cursor}
        reason = "changed"
    return {
        "full": True,
        "reason": reason,
        "cursor": new_cursor,
        "server_time": now.isoformat(),
        **data,
    }


def _snapshot(db: Session, scope: Scope, now: datetime) -> dict[str, list]:
    teams = [
        {
            "id": team.id,
            "name": team.name,
            "project_id": team.project_id,
            "station_id": team.station_id,
            "service_type": team.service_type,
        }
        for team in scope.teams.values()
    ]
    if scope.is_captain:
        query = team_volunteers_query(scope).order_by(Volunteer.volunteer_no)
        volunteers = list(db.scalars(query))
        recipients = [
            {
                "id": r.id,
                "display_name": r.display_name,
                "group": r.group,
                "team_id": r.team_id,
            }
            for r in db.scalars(team_recipients_query(scope).order_by("id"))
        ]
    else:
        own = db.get(Volunteer, scope.user.volunteer_id or 0)
        volunteers = [own] if own and own.volunteer_no else []
        recipients = []
    team_of = {team.project_id: team.id for team in scope.teams.values()}
    activities = [
        {
            "id": a.id,
            "title": a.title,
            "place": a.place,
            "team_id": team_of.get(a.project_id),
            "starts_at": a.starts_at.isoformat(),
            "ends_at": a.ends_at.isoformat(),
        }
        for a in db.scalars(scoped_activities_query(db, scope, now))
    ]
    return {
        "teams": teams,
        "volunteers": [
            {"volunteer_no": v.volunteer_no, "display_name": v.name} for v in volunteers
        ],
        "recipients": recipients,
        "activities": activities,
    }


def _cursor_problem(
    settings: Settings, cursor: str | None, user: User, now: datetime
) -> str | None:
    if not cursor:
        return "no_cursor"
    claims = _claims(settings, cursor)
    if claims is None or claims.get("u") != user.id:
        return "invalid_cursor"
    issued = claims.get("t")
    max_age = timedelta(days=settings.sync_cursor_max_age_days).total_seconds()
    if not isinstance(issued, int) or now.timestamp() - issued > max_age:
        return "stale_cursor"
    return None


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()


def _key(settings: Settings) -> bytes:
    return hashlib.sha256(CURSOR_CONTEXT + settings.secret_key.encode()).digest()


def _sign(settings: Settings, claims: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(_canonical(claims)).rstrip(b"=")
    mac = hmac.new(_key(settings), body, hashlib.sha256).digest()[:16]
    return (body + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


def _claims(settings: Settings, cursor: str) -> dict[str, Any] | None:
    try:
        body, mac = cursor.encode("ascii").split(b".")
        expected = hmac.new(_key(settings), body, hashlib.sha256).digest()[:16]
        given = base64.urlsafe_b64decode(mac + b"=" * (-len(mac) % 4))
        if not hmac.compare_digest(expected, given):
            return None
        claims = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
    except (ValueError, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None
