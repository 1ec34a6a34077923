"""What one user may record and receive offline: their teams, the volunteers and
recipients of those teams, and the activities they run or attend.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from server.accounts.models import Role, User
from server.activities.models import Activity, Project, Team
from server.recipients.models import Recipient
from server.volunteers.models import RegistrationStatus, Volunteer

ACTIVITIES_BEHIND = timedelta(days=1)
ACTIVITIES_AHEAD = timedelta(days=30)


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    project_id: int
    station_id: int
    service_type: str


@dataclass
class Scope:
    """A user's teams, and the volunteers and recipients already looked up for
    them during one push (so that 500 visits do not look up the same people 500
    times)."""

    user: User
    teams: dict[int, TeamInfo] = field(default_factory=dict)
    volunteers: dict[str, Volunteer] = field(default_factory=dict)
    recipients: dict[int, Recipient | None] = field(default_factory=dict)

    @property
    def is_captain(self) -> bool:
        return self.user.role == Role.captain

    @property
    def station_ids(self) -> set[int]:
        return {team.station_id for team in self.teams.values()}


def load_scope(db: Session, user: User) -> Scope:
    scope = Scope(user)
    if user.role != Role.captain:
        return scope
    rows = db.execute(
        select(Team.id, Team.name, Project.id, Project.station_id, Project.service_type)
        .join(Project, Project.id == Team.project_id)
        .where(Team.captain_user_id == user.id)
        .order_by(Team.id)
    )
    for team_id, name, project_id, station_id, service_type in rows:
        scope.teams[team_id] = TeamInfo(
            team_id, name, project_id, station_id, service_type
        )
    return scope


def team_volunteers_query(scope: Scope):
    """Volunteers a captain may record at a visit or see on the phone.

    There is no team-membership table yet (sign-ups and team rosters belong to a
    feature not built yet), so a team's volunteers are, for now, the approved
    volunteers of the team's station: the narrowest set the data can tell.
    """
    return select(Volunteer).where(
        Volunteer.station_id.in_(sorted(scope.station_ids)),
        Volunteer.status == RegistrationStatus.approved,
        Volunteer.volunteer_no.is_not(None),
    )


def volunteers_by_number(
    db: Session, scope: Scope, numbers: list[str]
) -> dict[str, Volunteer]:
    """Those of `numbers` that are volunteers the captain may record."""
    missing = [n for n in numbers if n not in scope.volunteers]
    if missing:
        query = team_volunteers_query(scope).where(Volunteer.volunteer_no.in_(missing))
        scope.volunteers.update((v.volunteer_no, v) for v in db.scalars(query))
    return {n: scope.volunteers[n] for n in numbers if n in scope.volunteers}


def team_recipient(db: Session, scope: Scope, recipient_id: int) -> Recipient | None:
    """The recipient, if assigned to one of the captain's teams with consent."""
    if recipient_id not in scope.recipients:
        query = team_recipients_query(scope).where(Recipient.id == recipient_id)
        scope.recipients[recipient_id] = db.scalars(query).first()
    return scope.recipients[recipient_id]


def team_recipients_query(scope: Scope):
    """Recipients assigned to the captain's teams whose consent is recorded."""
    return select(Recipient).where(
        Recipient.team_id.in_(sorted(scope.teams)),
        Recipient.consent_recorded.is_(True),
    )


def scoped_activities_query(db: Session, scope: Scope, now: datetime):
    """A captain's teams' activities, or a volunteer's station's, near `now`."""
    window = (
        Activity.ends_at >= now - ACTIVITIES_BEHIND,
        Activity.starts_at <= now + ACTIVITIES_AHEAD,
    )
    if scope.is_captain:
        projects = sorted(team.project_id for team in scope.teams.values())
        where = Activity.project_id.in_(projects)
    else:
        station_id = _volunteer_station(db, scope.user)
        where = Activity.station_id == station_id
    return select(Activity).where(where, *window).order_by(Activity.starts_at)


def captain_runs(scope: Scope, activity: Activity) -> bool:
    """Whether the activity belongs to one of the captain's teams."""
    return scope.is_captain and any(
        team.project_id == activity.project_id for team in scope.teams.values()
    )


def _volunteer_station(db: Session, user: User) -> int | None:
    if user.volunteer_id is None:
        return user.station_id
    volunteer = db.get(Volunteer, user.volunteer_id)
    return volunteer.station_id if volunteer else user.station_id


def volunteers_touched(
    db: Session, settings, user: User, records: list[tuple[str, dict, object]]
) -> set[int]:
    """The volunteers these records will probably credit, found cheaply: the
    volunteer numbers of visits (and those already on the visits they change), the
    volunteer behind a card code, the user's own volunteer for an activity code.
    A guess that falls short costs only a retry, never a wrong answer."""
    from server.cards.tokens import card_keys
    from server.errors import DomainError
    from server.visits.models import VisitVolunteer

    numbers: set[str] = set()
    visit_ids: set[str] = set()
    ids: set[int] = set()
    keys = card_keys(settings)
    for kind, payload, _made_at in records:
        if kind == "visit":
            listed = payload.get("volunteers")
            if isinstance(listed, list):
                numbers.update(n for n in listed if isinstance(n, str))
            if isinstance(payload.get("visit_id"), str):
                visit_ids.add(payload["visit_id"].lower())
        elif isinstance(payload.get("card_token"), str):
            try:
                claims = keys.decode(
                    payload["card_token"], datetime.min.replace(tzinfo=UTC)
                )
            except DomainError:
                continue
            numbers.add(claims.volunteer_no)
        elif user.volunteer_id is not None:
            ids.add(user.volunteer_id)
    if numbers:
        ids.update(
            db.scalars(select(Volunteer.id).where(Volunteer.volunteer_no.in_(numbers)))
        )
    if visit_ids:
        ids.update(
            db.scalars(
                select(VisitVolunteer.volunteer_id).where(
                    VisitVolunteer.visit_id.in_(visit_ids)
                )
            )
        )
    return ids
