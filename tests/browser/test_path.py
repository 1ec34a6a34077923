"""The whole first path, end to end, in Chromium on a phone-sized screen:

register → approve → activity QR → check in / check out → confirm hours → card →
partner scan. QR codes are never decoded by the test on the app's behalf: the image
the app served is shown to Chromium's fake camera, and the page's own scanner reads
it. The rows the test reads from the database are only used to check outcomes.
"""

import time
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session

from server.activities.models import Activity, CheckIn
from server.db import make_engine
from server.demo.data import DEMO_PASSWORD, RUNNING_TITLE, STATIONS
from server.ledger.models import LedgerEntry, LedgerReview
from server.stations.models import Station
from server.volunteers.models import Volunteer

NEW_MOBILE_TYPED = "139 0000 1234"  # typed with spaces; the login is normalised
NEW_MOBILE = "13900001234"
NEW_PASSWORD = "e2e-pass-9731"


class Records:
    """Read-only looks at the live server's database, to check what the pages did."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)

    def one(self, query):
        with Session(self.engine) as db:
            return db.exec(query).scalars().first()

    def all(self, query) -> list:
        with Session(self.engine) as db:
            return list(db.exec(query).scalars())


def decoded(png: bytes) -> str:
    """What an independent decoder reads in a QR image."""
    results = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
    assert len(results) == 1
    return results[0].text


def floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def ceil_minute(moment: datetime) -> datetime:
    floored = floor_minute(moment)
    return floored if floored == moment else floored + timedelta(minutes=1)


def register(phone, station_id: int) -> None:
    with phone.open() as page:
        page.goto("/register")
        page.fill("#name", "示例新志愿者")
        page.select_option("#sex", "female")
        page.fill("#birth_date", "1985-03-12")
        page.select_option("#id_type", "other")
        page.fill("#id_number", "E2E0000001")
        page.fill("#mobile", NEW_MOBILE_TYPED)
        page.fill("#emergency_name", "示例紧急联系人")
        page.fill("#emergency_mobile", "13900009998")
        page.select_option("#station_id", str(station_id))
        page.fill("#employer", "示例学校")
        page.fill("#skills", "急救、读报")
        page.check("#intentions-companionship")
        page.fill("#availability", "周末上午")
        page.fill("#password", NEW_PASSWORD)
        page.fill("#password_confirm", NEW_PASSWORD)
        page.set_input_files(
            "#photo",
            files=[{"name": "me.png", "mimeType": "image/png", "buffer": _photo()}],
        )
        page.check("#consent")
        phone.shot(page, "1-register-form")
        page.click("#register-submit")
        page.wait_for_selector("#registered")
        assert page.inner_text("#username") == NEW_MOBILE
        phone.shot(page, "1-registered")


def _photo() -> bytes:
    image = Image.new("RGB", (240, 300), "#e8d8c8")
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def approve(phone, volunteer_id: int) -> None:
    with phone.open() as page:
        phone.login(page, "head", DEMO_PASSWORD)
        page.goto("/station/registrations")
        phone.shot(page, "2-registrations")
        page.click(f"#registration-{volunteer_id} a")
        page.click("#approve")
        page.wait_for_selector("#volunteer-no")
        phone.shot(page, "2-approved")


def activity_qr(phone, captain_state: dict, activity_id: int, name: str) -> bytes:
    """The check-in QR the captain's page shows now, as the app served it."""
    with phone.open(captain_state) as page:
        page.goto(f"/activities/{activity_id}/code")
        page.wait_for_selector("#activity-qr")
        phone.shot(page, name)
        png = phone.fetch_png(page, "#activity-qr")
    assert "/checkin?c=" in decoded(png)
    return png


def scan_checkin(phone, state: dict, qr: bytes, kind: str, name: str) -> dict:
    """The volunteer scans `qr` at /scan and confirms; returns the cookies after."""
    with phone.open(state, camera=qr) as page:
        page.goto("/scan")
        page.wait_for_url("**/checkin?c=*")
        assert page.get_attribute("#checkin-submit", "data-kind") == kind
        phone.shot(page, f"{name}-confirm")
        page.click("#checkin-submit")
        done = page.wait_for_selector(f"#checkin-done[data-kind={kind}]")
        phone.shot(page, f"{name}-done")
        minutes = done.get_attribute("data-minutes")
        state = page.context.storage_state()
    return {"state": state, "minutes": minutes}


def card_qr(phone, username: str, password: str, name: str) -> tuple[bytes, str]:
    with phone.open() as page:
        phone.login(page, username, password)
        page.goto("/me/card")
        page.wait_for_selector("#card-qr")
        phone.shot(page, name)
        short_code = page.inner_text("#card-short-code").strip()
        return phone.fetch_png(page, "#card-qr"), short_code


def partner_scans(phone, partner_state: dict, qr: bytes, name: str):
    """The partner's counter scans `qr`; returns the page's verify result element."""
    with phone.open(partner_state, camera=qr) as page:
        page.goto("/partner/scan")
        result = page.wait_for_selector("#verify-result")
        phone.shot(page, f"{name}-result")
        applies = result.get_attribute("data-applies")
        if applies == "yes":
            page.click("#record-use")
            outcome = page.wait_for_selector("#use-recorded, #use-refused")
            phone.shot(page, f"{name}-use")
            return applies, outcome.get_attribute("id")
        return applies, None


@pytest.mark.browser
@pytest.mark.timeout(480)  # it waits out a real minute between scans
def test_the_whole_path_from_registration_to_a_partner_scan(phone, live_server):
    records = Records(live_server.database_url)
    station = records.one(
        select(Station).where(Station.name == f"{STATIONS[0].community}志愿者服务站")
    )
    now = datetime.now(UTC)
    activity = records.one(
        select(Activity).where(
            Activity.title == RUNNING_TITLE,
            Activity.starts_at <= now,
            Activity.ends_at > now,
        )
    )

    # 1 A resident registers with the full form.
    register(phone, station.id)
    volunteer = records.one(select(Volunteer).where(Volunteer.mobile == NEW_MOBILE))
    assert volunteer.status == "pending"

    # 2 The station head approves: a volunteer number, county code + 6 digits.
    approve(phone, volunteer.id)
    volunteer = records.one(select(Volunteer).where(Volunteer.id == volunteer.id))
    assert volunteer.status == "approved"
    assert volunteer.volunteer_no.startswith(station.county_code)
    assert len(volunteer.volunteer_no) == len(station.county_code) + 6

    # 3 The captain shows the running activity's check-in QR.
    with phone.open() as page:
        phone.login(page, "captain", DEMO_PASSWORD)
        captain = page.context.storage_state()
    qr_in = activity_qr(phone, captain, activity.id, "3-activity-code")

    # 4a The new volunteer logs in with the mobile number and checks in by scanning.
    with phone.open() as page:
        phone.login(page, NEW_MOBILE, NEW_PASSWORD)
        newcomer = page.context.storage_state()
    newcomer = scan_checkin(phone, newcomer, qr_in, "in", "4-checkin")["state"]
    checks = CheckIn.activity_id == activity.id, CheckIn.volunteer_id == volunteer.id
    checked_in = records.one(select(CheckIn).where(*checks, CheckIn.kind == "in"))

    # 7, 8 Meanwhile (only whole minutes count): the demo volunteer, who holds the
    # benefit and a certified star, shows the card; the partner scans it.
    png, short_code = card_qr(phone, "volunteer", DEMO_PASSWORD, "7-card")
    assert "示例" not in decoded(png) and decoded(png).isascii()
    with phone.open() as page:
        phone.login(page, "partner", DEMO_PASSWORD)
        partner = page.context.storage_state()
    assert partner_scans(phone, partner, png, "8-scan") == ("yes", "use-recorded")
    again = partner_scans(phone, partner, png, "8-scan-again")
    assert again in {("no", None), ("yes", "use-refused")}
    with phone.open(partner) as page:
        page.goto("/partner/scan")
        page.fill("#card-code", short_code)
        page.click("#verify-submit")
        typed = page.wait_for_selector("#verify-result")
        phone.shot(page, "8-short-code")
        assert typed.get_attribute("data-applies") == "no"  # already used today

    # 4b Check out once at least a whole minute has passed since the check-in.
    first_counted = ceil_minute(checked_in.at)
    wait = (first_counted + timedelta(seconds=61) - datetime.now(UTC)).total_seconds()
    time.sleep(max(0.0, wait))
    qr_out = activity_qr(phone, captain, activity.id, "4-activity-code-again")
    out = scan_checkin(phone, newcomer, qr_out, "out", "4-checkout")
    checked_out = records.one(select(CheckIn).where(*checks, CheckIn.kind == "out"))

    # The pending entries hold exactly the whole minutes between the two scans (one
    # entry, or two if the scans straddle the city's midnight).
    expected = int((floor_minute(checked_out.at) - first_counted).total_seconds() // 60)
    assert expected >= 1
    entries = records.all(
        select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer.id)
    )
    assert {(e.activity_id, e.source) for e in entries} == {(activity.id, "scan")}
    assert sum(e.minutes for e in entries) == expected
    assert out["minutes"] == str(expected)
    reviews = select(LedgerReview).where(
        LedgerReview.entry_id.in_([e.id for e in entries])
    )
    assert records.all(reviews) == []

    # 5 The station head confirms the hours.
    with phone.open() as page:
        phone.login(page, "head", DEMO_PASSWORD)
        page.goto("/station/hours")
        phone.shot(page, "5-hours")
        for entry in entries:
            page.check(f"#entry-{entry.id}")
        page.click("#confirm-hours")
        confirmed = page.wait_for_selector("#hours-confirmed")
        assert confirmed.get_attribute("data-count") == str(len(entries))
        phone.shot(page, "5-confirmed")
    assert {r.decision for r in records.all(reviews)} == {"confirmed"}
    assert len(records.all(reviews)) == len(entries)

    # 6 The new volunteer's card: a QR code and a short code.
    png, short_code = card_qr(phone, NEW_MOBILE, NEW_PASSWORD, "6-card")
    assert short_code and decoded(png).isascii()
