"""The migrations build exactly the schema the models describe, on every engine."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import server.models
from tests.factories import make_station, make_volunteer


def test_migrations_match_models(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, server.models.metadata) == []


def test_ledger_entries_cannot_be_changed_or_removed(db):
    from datetime import UTC, date, datetime

    from server.ledger.models import LedgerEntry

    station = make_station(db)
    volunteer = make_volunteer(db, station)
    moment = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    entry = LedgerEntry(
        volunteer_id=volunteer.id,
        station_id=station.id,
        source="scan",
        service_date=date(2026, 3, 1),
        service_year=2026,
        minutes=60,
        started_at=moment,
        ended_at=moment,
    )
    db.add(entry)
    db.flush()

    for statement in (
        "UPDATE ledgerentry SET minutes = 600",
        "DELETE FROM ledgerentry",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.connection().execute(text(statement))
