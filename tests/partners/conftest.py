"""A partner at a counter with a logged-in user, and a volunteer holding the card."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from server.accounts.models import Role, User
from server.cards.standing import local_today
from server.db import utcnow
from server.partners.models import Benefit, Partner
from server.volunteers.models import Volunteer
from tests.cards.helpers import credit
from tests.factories import make_partner, make_station, make_user, make_volunteer


@dataclass
class Counter:
    partner: Partner
    benefit: Benefit
    user: User
    holder: Volunteer  # holds the benefit card this year


@pytest.fixture
def counter(db, settings) -> Counter:
    partner, benefit = make_partner(db)
    today = local_today(settings, utcnow())
    partner.agreement_starts = today - timedelta(days=365)
    partner.agreement_ends = today + timedelta(days=365)
    db.add(partner)
    user = make_user(db, Role.partner, partner_id=partner.id)
    station = make_station(db)
    holder = make_volunteer(
        db,
        station,
        name="测试张三明",
        id_number="TESTID5308021990",
        mobile="13955501234",
        emergency_mobile="13955509876",
    )
    credit(db, holder, 26 * 60, year=today.year)
    return Counter(partner, benefit, user, holder)
