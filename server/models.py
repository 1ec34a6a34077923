"""Every table model, imported in one place for Alembic and the test schema check."""

from sqlmodel import SQLModel

from server.accounts.models import User
from server.activities.models import Activity, CheckIn, Project, Team
from server.cards.models import Certification, PrintedCard
from server.divisions.models import Division
from server.ledger.models import LedgerEntry, LedgerReview
from server.partners.models import Benefit, BenefitUse, Partner, Verification
from server.stations.models import Community, Station
from server.volunteers.models import Volunteer, VolunteerPhoto

metadata = SQLModel.metadata

__all__ = [
    "Activity",
    "Benefit",
    "BenefitUse",
    "Certification",
    "CheckIn",
    "Community",
    "Division",
    "LedgerEntry",
    "LedgerReview",
    "Partner",
    "PrintedCard",
    "Project",
    "Station",
    "Team",
    "User",
    "Verification",
    "Volunteer",
    "VolunteerPhoto",
    "metadata",
]
