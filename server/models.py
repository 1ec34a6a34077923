"""Every table model, imported in one place for Alembic and the test schema check."""

from sqlmodel import SQLModel

from server.accounts.models import User
from server.activities.models import Activity, CheckIn, Project, Team
from server.cards.models import Certification, PrintedCard
from server.divisions.models import Division
from server.ledger.models import LedgerEntry, LedgerReview
from server.partners.models import Benefit, BenefitUse, Partner, Verification
from server.recipients.models import Recipient
from server.stations.models import Community, Station
from server.visits.models import Visit, VisitPhoto, VisitVolunteer
from server.volunteers.models import Volunteer, VolunteerPhoto
from sync.models import Device, SyncCredit, SyncFlag, SyncRecord

metadata = SQLModel.metadata

__all__ = [
    "Activity",
    "Benefit",
    "BenefitUse",
    "Certification",
    "CheckIn",
    "Community",
    "Device",
    "Division",
    "LedgerEntry",
    "LedgerReview",
    "Partner",
    "PrintedCard",
    "Project",
    "Recipient",
    "Station",
    "SyncCredit",
    "SyncFlag",
    "SyncRecord",
    "Team",
    "User",
    "Verification",
    "Visit",
    "VisitPhoto",
    "VisitVolunteer",
    "Volunteer",
    "VolunteerPhoto",
    "metadata",
]
