"""Station staff review pending hours: only their station's, flagged ones one by one."""

from sqlalchemy import select

from server.accounts.models import Role
from server.ledger.counting import Interval
from server.ledger.models import LedgerReview
from server.ledger.service import confirmed_minutes, record_service
from tests.activities.conftest import local
from tests.activities.pages import page
from tests.factories import make_activity, make_station, make_user, make_volunteer


def pending(db, station, volunteer, hour, *, activity=None, **kwargs):
    (entry,) = record_service(
        db,
        volunteer_id=volunteer.id,
        station_id=station.id,
        interval=Interval(local(2026, 6, 1, hour), local(2026, 6, 1, hour + 1, 30)),
        source="scan",
        activity_id=activity and activity.id,
        tz="Asia/Shanghai",
        **kwargs,
    )
    return entry


def rows(response) -> dict[int, object]:
    table = page(response.text).find(id="pending-hours")
    if table is None:
        return {}
    return {int(r.attrs["data-entry-id"]): r for r in table.select("tr[data-entry-id]")}


def decision(db, entry):
    review = db.get(LedgerReview, entry.id)
    return review and review.decision


def staff(db, station, username):
    return make_user(db, Role.deputy, username=username, station_id=station.id)


def test_staff_see_only_their_stations_pending_hours(client, db):
    mine, theirs = make_station(db), make_station(db)
    volunteer = make_volunteer(db, mine, volunteer_no="T-REVIEW-1")
    activity = make_activity(db, mine)
    entry = pending(db, mine, volunteer, 9, activity=activity)
    other = pending(db, theirs, make_volunteer(db, theirs), 9)
    staff(db, mine, "deputy-mine")
    client.login("deputy-mine")

    listed = rows(client.get("/station/hours"))

    assert list(listed) == [entry.id]
    row = listed[entry.id]
    assert "T-REVIEW-1" in row.text and volunteer.name in row.text
    assert activity.title in row.text and "2026-06-01" in row.text
    assert row.select_one('[data-minutes="90"]').text == "1.5"
    assert other.id not in listed


def test_confirm_ticked_entries(client, db):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    first = pending(db, station, volunteer, 9)
    second = pending(db, station, volunteer, 14)
    staff(db, station, "deputy-confirm")
    client.login("deputy-confirm")
    shown = page(client.get("/station/hours").text)
    assert shown.select_one("#confirm-hours").attrs["form"] == "confirm-form"
    assert shown.select_one(f"#entry-{first.id}").attrs["form"] == "confirm-form"

    response = client.submit(
        "/station/hours/confirm", {"entry_id": [str(first.id)]}, follow_redirects=True
    )

    assert page(response.text).select_one("#hours-confirmed").attrs["data-count"] == "1"
    assert list(rows(response)) == [second.id]
    assert (decision(db, first), decision(db, second)) == ("confirmed", None)
    assert confirmed_minutes(db, volunteer.id) == 90


def test_other_stations_entries_cannot_be_confirmed_or_rejected(client, db):
    mine, theirs = make_station(db), make_station(db)
    other = pending(db, theirs, make_volunteer(db, theirs), 9)
    staff(db, mine, "deputy-nosy")
    client.login("deputy-nosy")

    response = client.submit("/station/hours/confirm", {"entry_id": [str(other.id)]})
    assert response.status_code == 403
    response = client.submit(f"/station/hours/{other.id}/reject", {"reason": "不对"})
    assert response.status_code == 403
    assert decision(db, other) is None


def test_flagged_entries_have_their_own_button(client, db):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    plain = pending(db, station, volunteer, 9)
    flagged = pending(db, station, volunteer, 14, needs_review=True, note="测试备注")
    staff(db, station, "deputy-flagged")
    client.login("deputy-flagged")

    listed = rows(client.get("/station/hours"))
    assert "data-needs-review" in listed[flagged.id].attrs
    assert listed[flagged.id].find("input", type="checkbox") is None
    assert listed[flagged.id].find(id=f"confirm-entry-{flagged.id}")
    assert "data-needs-review" not in listed[plain.id].attrs

    # Ticking a flagged one with the plain ones confirms only the plain ones.
    ids = [str(plain.id), str(flagged.id)]
    client.submit("/station/hours/confirm", {"entry_id": ids})
    assert (decision(db, plain), decision(db, flagged)) == ("confirmed", None)

    client.submit(
        "/station/hours/confirm", {"entry_id": [str(flagged.id)], "flagged": "1"}
    )
    assert decision(db, flagged) == "confirmed"


def test_reject_with_a_reason(client, db):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    entry = pending(db, station, volunteer, 9)
    staff(db, station, "deputy-reject")
    client.login("deputy-reject")

    response = client.submit(f"/station/hours/{entry.id}/reject", {"reason": "  "})
    assert response.status_code == 400
    field = page(response.text).select_one(f"#reason-{entry.id}")
    assert field.attrs["aria-invalid"] == "true"
    assert page(response.text).find(id=field["aria-describedby"]).text

    response = client.submit(
        f"/station/hours/{entry.id}/reject", {"reason": "当天没有到场（测试）"}
    )
    assert page(response.text).select_one("#hours-rejected")
    assert rows(response) == {}
    review = db.scalars(
        select(LedgerReview).where(LedgerReview.entry_id == entry.id)
    ).one()
    assert (review.decision, review.reason) == ("rejected", "当天没有到场（测试）")
    assert confirmed_minutes(db, volunteer.id) == 0


def test_only_station_staff_open_the_hours_page(client, db):
    station = make_station(db)
    make_user(db, Role.captain, username="captain-hours", station_id=station.id)
    client.login("captain-hours")
    assert client.get("/station/hours").status_code == 403
