"""Offline field work in Chromium on a phone-sized screen, against the live app.

A captain opens the field pages once with signal, loses it, logs home visits and
check-ins that wait in the phone's outbox (surviving a reload with no signal), then
gets signal back, syncs and sees them confirmed; refused records stay with the
server's reason until discarded or corrected; logging out wipes the phone.
`context.set_offline` cuts the page and its service worker off the network (this
Playwright applies it to service workers too; the test checks that a page the
phone never kept does not load).
"""

from datetime import UTC, datetime
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session

from server.activities.models import CheckIn
from server.cards.tokens import verify
from server.db import utcnow
from server.demo.data import DEMO_PASSWORD
from server.ledger.models import LedgerEntry, LedgerReview
from server.visits.models import Visit, VisitPhoto, VisitVolunteer
from tests.browser.conftest import ARTIFACTS, LiveServer, Phone
from tests.browser.deploys import Deploy
from tests.browser.field_helpers import (
    FIELD_PAGES,
    FakePush,
    LiveData,
    accepted_count,
    add_records,
    big_photo,
    cache_names,
    database_names,
    decoded_data_url,
    errors_of,
    eventually,
    field_caches,
    local_input,
    outbox,
    qr_text,
    results,
    started,
    sync,
)

# Two demo volunteers of the captain's station.
HELPERS = ("530802000003", "530802000004")


def open_all_field_pages(page) -> None:
    page.goto("/field")
    started(page)
    page.wait_for_selector("#field-offline-ready[data-ready=yes]", state="attached")
    assert page.get_attribute("#field-waiting-count", "data-count") == "0"
    for path in FIELD_PAGES[1:]:
        page.goto(path)
        started(page)


def log_visit(page, recipient_id: int, hours_ago: float, minutes: int, photo=None):
    page.goto("/field/visits/new")
    page.wait_for_selector("#visit-form[data-ready=yes]", state="attached")
    page.select_option("#visit-recipient", str(recipient_id))
    for number in HELPERS:
        page.check(f"#visit-volunteer-{number}")
    page.fill("#visit-started-at", local_input(page, hours_ago))
    page.fill("#visit-ended-at", local_input(page, hours_ago - minutes / 60))
    page.select_option("#visit-service-type", "companionship")
    page.fill("#visit-notes", "示例：陪老人聊天，量了血压。")
    if photo:
        page.set_input_files(
            "#visit-photo",
            files=[{"name": "visit.png", "mimeType": "image/png", "buffer": photo}],
        )
    page.click("#visit-save")
    page.wait_for_selector("#visit-saved:not([hidden])")


def check_in_by_short_code(page, activity_id: int, code: str) -> None:
    page.select_option("#checkin-activity", str(activity_id))
    page.check("#checkin-kind-in")
    page.fill("#checkin-code", code)
    page.click("#checkin-save")
    page.wait_for_selector("#checkin-saved:not([hidden])")


def work_offline(page, live: LiveData, team, recipient_id: int, activity) -> None:
    """Three visits and two check-ins, a forged check-in and a visit that ends
    before it starts (put straight into the outbox, as the form would refuse it)."""
    log_visit(page, recipient_id, hours_ago=5, minutes=60)
    log_visit(page, recipient_id, hours_ago=3.5, minutes=30)
    log_visit(page, recipient_id, hours_ago=2.8, minutes=25, photo=big_photo())

    page.goto("/field/checkins")
    page.wait_for_selector("#checkin-form[data-ready=yes]", state="attached")
    for number in HELPERS:
        check_in_by_short_code(page, activity.id, live.short_code(number))
    # A forged card code is saved like any other: only the server can tell.
    check_in_by_short_code(page, activity.id, live.forged_token(HELPERS[0]))
    assert page.get_attribute("#field-waiting-count", "data-count") == "6"

    page.evaluate(
        """([team, recipient, numbers]) => FieldStore.add("visit", "create", {
             visit_id: FieldStore.uuid(), team_id: team, recipient_id: recipient,
             volunteers: numbers, service_type: "companionship", notes: "",
             started_at: FieldStore.isoWithOffset(new Date(Date.now() - 3600e3)),
             ended_at: FieldStore.isoWithOffset(new Date(Date.now() - 7200e3))},
             {recipient: "x", started_at: "", ended_at: "", volunteers: 2})""",
        [team.id, recipient_id, list(HELPERS)],
    )


def all_saved_on_the_phone(page) -> None:
    page.wait_for_selector("#outbox-list[data-ready=yes]", state="attached")
    assert page.get_attribute("#field-waiting-count", "data-count") == "7"
    assert page.locator("#outbox-list [data-status=waiting]").count() == 7
    assert page.locator("[data-status=accepted]").count() == 0
    assert not page.locator("#outbox-list .record-discard").first.is_visible()
    records = outbox(page)
    assert [r["seq"] for r in records] == list(range(1, 8))
    assert len({r["id"] for r in records}) == 7
    assert all(r["made_at"][-6] in "+-" for r in records)  # the phone's offset
    assert records[2]["payload"]["photo"]["content_type"] == "image/jpeg"


def confirmed_and_refused(page) -> None:
    page.wait_for_selector(
        "#field-waiting-count[data-count='0']", state="attached", timeout=20_000
    )
    page.wait_for_selector("#outbox-list[data-ready=yes]", state="attached")
    assert page.locator("#sent-list [data-status=accepted]").count() == 5
    refused = page.locator("#outbox-list [data-status=refused]")
    assert refused.count() == 2
    assert page.inner_text("#field-refused-count") == "2"
    for i in range(2):
        assert refused.nth(i).locator(".record-message").inner_text().strip()
        assert refused.nth(i).locator(".record-discard").is_visible()


def on_the_server(live: LiveData, since: datetime, activity) -> None:
    """Three visits with their volunteers and photo, their pending hours, and the
    two check-ins."""
    visits = live.all(select(Visit).where(Visit.created_at >= since))
    assert len(visits) == 3
    ids = [v.id for v in visits]
    present = live.all(select(VisitVolunteer).where(VisitVolunteer.visit_id.in_(ids)))
    assert len(present) == 6
    photos = live.all(select(VisitPhoto).where(VisitPhoto.visit_id.in_(ids)))
    assert len(photos) == 1
    with Image.open(BytesIO(photos[0].data)) as image:
        assert image.format == "JPEG" and max(image.size) <= 1280

    entries = live.all(
        select(LedgerEntry).where(
            LedgerEntry.source == "visit", LedgerEntry.created_at >= since
        )
    )
    assert sorted(e.minutes for e in entries) == [25, 25, 30, 30, 60, 60]
    entry_ids = [e.id for e in entries]
    reviews = live.all(select(LedgerReview).where(LedgerReview.entry_id.in_(entry_ids)))
    assert reviews == []  # pending: no leader has confirmed them yet

    checkins = live.all(
        select(CheckIn).where(
            CheckIn.activity_id == activity.id,
            CheckIn.source == "card_scan",
            CheckIn.at >= since,
        )
    )
    volunteers = {live.volunteer(number).id for number in HELPERS}
    assert sorted(c.volunteer_id for c in checkins) == sorted(volunteers)


@pytest.mark.browser
def test_a_captain_works_offline_and_syncs_later(phone, live_server):
    live = LiveData(live_server.database_url)
    team = live.captain_team()
    recipient_id = live.add_recipient(team, "示例服务对象甲")
    activity = live.running_activity(team)
    assert activity is not None, "the demo keeps an activity running now"
    since = datetime.now(UTC)

    with phone.open() as page:
        errors = errors_of(page)
        phone.login(page, "captain", DEMO_PASSWORD)
        open_all_field_pages(page)

        # No signal from here on: pages come from the phone, records stay there.
        page.context.set_offline(True)
        page.goto("/captain")  # never kept on the phone: the field home instead
        assert page.locator("#field-status").count() == 1
        assert page.evaluate("navigator.onLine") is False
        work_offline(page, live, team, recipient_id, activity)
        phone.shot(page, "saved-offline")

        page.goto("/field/outbox")
        page.reload()
        all_saved_on_the_phone(page)
        phone.shot(page, "outbox-offline")
        assert not live.all(select(Visit).where(Visit.created_at >= since))

        # Signal again: the records go by themselves; the good ones are confirmed.
        page.context.set_offline(False)
        confirmed_and_refused(page)
        phone.shot(page, "outbox-after-sync")
        on_the_server(live, since, activity)

        # The forged check-in is discarded.
        forged = next(r for r in outbox(page) if r["kind"] == "checkin")
        assert forged["reason"] == "forged"
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(f"#discard-{forged['id']}")
        page.wait_for_selector(f"#record-{forged['id']}", state="detached")
        bad_visit = next(r for r in outbox(page) if r["kind"] == "visit")
        assert bad_visit["reason"] == "bad_time"

        # Logging out now would lose a record: the phone asks; "no" keeps it all.
        asked: list[str] = []

        def refuse(dialog):
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", refuse)
        page.click("form[data-wipe-on-submit] button")
        page.wait_for_timeout(500)
        assert len(asked) == 1 and "1" in asked[0]
        assert "field" in database_names(page)
        assert page.url.endswith("/field/outbox")

        # The bad visit is corrected and saved again, as a new record.
        page.click(f"#correct-{bad_visit['id']}")
        page.wait_for_selector("#visit-form[data-ready=yes]", state="attached")
        assert page.is_visible("#visit-correcting")
        page.fill("#visit-ended-at", local_input(page, 0.5))
        page.click("#visit-save")
        eventually(lambda: accepted_count(page) == 6)
        assert outbox(page) == []
        assert len(live.all(select(Visit).where(Visit.created_at >= since))) == 4

        # Logging out with nothing waiting asks nothing and wipes the phone.
        device = page.evaluate("() => FieldStore.getMeta('device_id')")
        page.on("dialog", lambda dialog: asked.append(dialog.message))
        with page.expect_navigation():
            page.click("form[data-wipe-on-submit] button")
        assert len(asked) == 1
        assert "field" not in database_names(page)
        assert not [n for n in cache_names(page) if n.startswith("field-pages-")]

        # The next login is a new device, and one visit makes the phone ready again.
        phone.login(page, "captain", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        page.wait_for_selector("#field-offline-ready[data-ready=yes]", state="attached")
        assert page.evaluate("() => FieldStore.getMeta('device_id')") != device
        page.context.set_offline(True)
        page.goto("/field/checkins")
        page.wait_for_selector("#checkin-form[data-ready=yes]", state="attached")
        assert page.get_attribute("#field-waiting-count", "data-count") == "0"
        assert page.locator("#checkin-activity option").count() > 1
        assert errors == []


def activity_qr(phone, activity_id: int) -> bytes:
    """The check-in QR the captain's screen shows now, as the app served it."""
    with phone.open() as page:
        phone.login(page, "captain", DEMO_PASSWORD)
        page.goto(f"/activities/{activity_id}/code")
        page.wait_for_selector("#activity-qr")
        return phone.fetch_png(page, "#activity-qr")


def card_shown_offline(page, live: LiveData, number: str) -> None:
    """The card from the phone's data: its QR reads as a valid code of now."""
    page.goto("/field/card")
    page.wait_for_selector("#field-card-qr[data-token]", state="attached")
    assert page.inner_text("#field-card-volunteer-no") == number
    assert page.get_attribute("#field-card-stars", "data-level") == "1"
    assert page.get_attribute("#field-card-photo", "src").startswith("data:image/")
    assert page.inner_text("#field-card-age").strip()
    token = decoded_data_url(page.get_attribute("#field-card-qr", "src"))
    assert token == page.get_attribute("#field-card-qr", "data-token")
    with Session(live.engine) as db:
        card = verify(db, live.settings, token, utcnow())
        assert card.volunteer.volunteer_no == number
        short_code = page.inner_text("#field-card-short-code")
        assert verify(db, live.settings, short_code, utcnow()).volunteer.id == (
            card.volunteer.id
        )


@pytest.mark.browser
def test_a_volunteer_checks_in_and_shows_the_card_without_signal(phone, live_server):
    live = LiveData(live_server.database_url)
    activity = live.running_activity(live.captain_team())
    qr = activity_qr(phone, activity.id)
    number = "530802000001"  # the demo volunteer
    since = datetime.now(UTC)

    with phone.open(camera=qr) as page:
        errors = errors_of(page)
        phone.login(page, "volunteer", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        page.wait_for_selector("#field-offline-ready[data-ready=yes]", state="attached")
        # With signal a scanned code goes on to the online check-in page.
        page.goto("/field/scan")
        page.wait_for_url("**/checkin?c=*")

        page.context.set_offline(True)
        page.goto("/field/scan")
        page.wait_for_selector("#scan-offline:not([hidden])")
        assert page.inner_text("#scan-activity") == activity.title
        page.click("#scan-in")
        page.wait_for_selector("#scan-saved:not([hidden])")
        phone.shot(page, "scan-saved-offline")

        # The QR's link, opened by the phone's camera app without signal, shows
        # the same page from the phone, which keeps the code for later.
        page.goto(qr_text(qr))
        assert "/checkin?c=" in page.url
        page.wait_for_selector("#scan-offline:not([hidden])")
        page.click("#scan-out")
        page.wait_for_selector("#field-waiting-count[data-count='2']", state="attached")
        records = outbox(page)
        assert [(r["op"], r["status"]) for r in records] == [
            ("in", "waiting"),
            ("out", "waiting"),
        ]
        assert all("activity_code" in r["payload"] for r in records)

        card_shown_offline(page, live, number)
        phone.shot(page, "card-offline")

        page.context.set_offline(False)
        page.wait_for_selector(
            "#field-waiting-count[data-count='0']", state="attached", timeout=20_000
        )
        eventually(lambda: accepted_count(page) == 2)
        assert errors == []

    checks = live.all(
        select(CheckIn).where(
            CheckIn.activity_id == activity.id,
            CheckIn.volunteer_id == live.volunteer(number).id,
            CheckIn.source == "activity_qr",
            CheckIn.at >= since,
        )
    )
    assert sorted(c.kind for c in checks) == ["in", "out"]


@pytest.mark.browser
def test_only_a_final_answer_takes_a_record_off_the_phone(phone):
    fake = FakePush()
    with phone.open() as page:
        errors = errors_of(page)
        phone.login(page, "volunteer", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        page.route("**/api/sync/push", fake)
        ids = add_records(page, 4)

        # A busy server, a lost connection, a lost login: everything stays.
        fake.answers = [
            (503, {"error": "retry", "message": "busy"}),
            "network",
            (401, {"error": "login_required", "message": "log in"}),
        ]
        assert [sync(page), sync(page), sync(page)] == ["failed", "failed", "login"]
        assert [r["status"] for r in outbox(page)] == ["waiting"] * 4
        assert page.get_attribute("#field-waiting-count", "data-count") == "4"
        assert [r["id"] for r in fake.bodies[0]["records"]] == ids  # in seq order

        fake.answers = [
            lambda body: results(
                body,
                {"status": "accepted"},
                {"status": "held", "reason": "waiting_for_base", "waits_for": ids[0]},
                {
                    "status": "duplicate",
                    "first_status": "refused",
                    "reason": "code_expired",
                    "message": "expired",
                },
                {"status": "conflict", "reason": "edited_elsewhere", "message": "m"},
            ),
            # Once the others are in, the held one is tried again at once.
            lambda body: results(body, {"status": "held", "waits_for": ids[0]}),
        ]
        assert sync(page) == "done"
        assert [r["id"] for r in fake.bodies[-1]["records"]] == [ids[1]]
        left = {r["id"]: r for r in outbox(page)}
        assert {i: left[i]["status"] for i in left} == {
            ids[1]: "held",
            ids[2]: "refused",
        }
        assert left[ids[2]]["message"] == "expired"
        answered = page.evaluate(
            "() => FieldStore.sent().then(s => s.map(r => [r.id, r.status]))"
        )
        assert sorted(answered) == sorted([[ids[0], "accepted"], [ids[3], "conflict"]])
        assert page.get_attribute("#field-waiting-count", "data-count") == "1"
        assert page.inner_text("#field-refused-count") == "1"

        # The held one is sent again (the refused one never); a device id taken
        # by someone else gets a new one, with the records numbered from 1.
        first_device = fake.bodies[-1]["device_id"]
        fake.answers = [
            (409, {"error": "device_taken", "message": "taken"}),
            lambda body: results(body, {"status": "accepted"}),
        ]
        assert sync(page) == "done"
        taken, again = fake.bodies[-2:]
        assert [r["id"] for r in taken["records"]] == [ids[1]]
        assert again["device_id"] != first_device
        assert [(r["id"], r["seq"]) for r in again["records"]] == [(ids[1], 1)]
        assert [r["id"] for r in outbox(page)] == [ids[2]]
        assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize("locks", ["web-locks", "indexeddb-flag"])
def test_sync_never_runs_twice_at_once(phone, locks):
    fake = FakePush()
    with phone.open() as page:
        phone.login(page, "volunteer", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        if locks == "indexeddb-flag":
            page.evaluate(
                "() => Object.defineProperty(navigator, 'locks', {value: undefined})"
            )
        page.route("**/api/sync/push", fake)
        add_records(page, 2)
        fake.answers = [
            lambda body: results(body, {"status": "accepted"}, {"status": "accepted"})
        ] * 2

        states = page.evaluate(
            """() => { const config = FieldUI.config();
                 return Promise.all([FieldSync.run(config), FieldSync.run(config)])
                   .then(rs => rs.map(r => r.state)); }"""
        )
        assert sorted(states) == ["busy", "done"]
        assert len(fake.bodies) == 1
        # The lock was let go: the next sync runs.
        assert (
            page.evaluate("() => FieldSync.run(FieldUI.config()).then(r => r.state)")
            == "done"
        )


@pytest.fixture
def deploy(tmp_path, playwright_instance):
    copy = Deploy(tmp_path / "app", ARTIFACTS / "deploy-server.log")
    copy.setup()
    copy.start()
    yield copy
    copy.stop()


@pytest.mark.browser
def test_a_new_deploy_replaces_the_phones_pages_and_assets_whole(
    deploy, playwright_instance, tmp_path
):
    server = LiveServer(deploy.url, deploy.database_url, deploy.log)
    phone = Phone(playwright_instance, server, ARTIFACTS / "deploy", tmp_path)
    phone.artifacts.mkdir(parents=True, exist_ok=True)
    with phone.open() as page:
        errors = errors_of(page)
        phone.login(page, "captain", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        page.wait_for_selector("#field-offline-ready[data-ready=yes]", state="attached")
        old = page.evaluate("() => FieldUI.config().version")
        assert field_caches(page) == [f"field-assets-{old}", f"field-pages-{old}"]

        # A release changes one stylesheet; the phone next opens the app online.
        deploy.stop()
        deploy.change("web/static/field/field.css", "/* release 2 */\n")
        deploy.start()
        phone.login(page, "captain", DEMO_PASSWORD)  # sessions were in its memory
        page.goto("/field")
        started(page)
        new = page.evaluate("() => FieldUI.config().version")
        assert new != old
        eventually(
            lambda: field_caches(page) == [f"field-assets-{new}", f"field-pages-{new}"]
        )

        # Without signal every page and asset is of the new version, together.
        page.context.set_offline(True)
        page.goto("/field/visits/new")
        page.wait_for_selector("#visit-form[data-ready=yes]", state="attached")
        assert page.evaluate("() => FieldUI.config().version") == new
        sources = page.eval_on_selector_all(
            "script[src^='/static/'], link[href^='/static/']",
            "els => els.map(e => e.getAttribute('src') || e.getAttribute('href'))",
        )
        assert sources and all(src.endswith(f"?v={new}") for src in sources)
        css = page.evaluate(
            "v => fetch('/static/field/field.css?v=' + v).then(r => r.text())", new
        )
        assert "release 2" in css
        assert errors == []


@pytest.mark.browser
def test_records_of_another_login_are_kept_and_never_sent_as_someone_else(phone):
    fake = FakePush()
    with phone.open() as page:
        errors = errors_of(page)
        page.context.route("**/api/sync/push", fake)
        phone.login(page, "captain", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        fake.answers = ["network"]
        ids = add_records(page, 1)
        assert sync(page) == "failed"
        # The phone has finished keeping its pages: nothing of the captain's is
        # still on its way when the cookies go.
        page.wait_for_selector("#field-offline-ready[data-ready=yes]", state="attached")

        # The session ends without the logout button; someone else logs in.
        page.context.clear_cookies()
        phone.login(page, "volunteer", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        assert page.is_visible("#field-owner-warning")
        assert page.is_disabled("#field-sync-button")
        sent_before = len(fake.bodies)
        assert sync(page) == "error"
        assert len(fake.bodies) == sent_before
        assert [r["id"] for r in outbox(page)] == ids

        # Back to the captain: the record goes, under the captain's login.
        page.context.clear_cookies()
        phone.login(page, "captain", DEMO_PASSWORD)
        fake.answers = [lambda body: results(body, {"status": "accepted"})]
        page.goto("/field")
        started(page)
        assert page.is_hidden("#field-owner-warning")
        assert [r["id"] for r in fake.bodies[-1]["records"]] == ids
        assert outbox(page) == []
        assert errors == []


@pytest.mark.browser
def test_a_record_saved_while_sending_is_sent_right_after(phone):
    fake = FakePush()
    with phone.open() as page:
        phone.login(page, "volunteer", DEMO_PASSWORD)
        page.goto("/field")
        started(page)
        page.route("**/api/sync/push", fake)
        first = add_records(page, 1)
        fake.answers = [lambda body: results(body, {"status": "accepted"})] * 2

        # The second record is saved once the first push has left.
        second = page.evaluate(
            """() => new Promise(resolve => {
                 const send = window.fetch;
                 window.fetch = (url, options) => {
                   const sent = send(url, options);
                   if (String(url).includes("/push") && !window.savedMeanwhile) {
                     window.savedMeanwhile = FieldStore.add(
                       "checkin", "in", {activity_code: "x"}, {})
                       .then(r => { FieldUI.sync(); return r.id; });
                   }
                   return sent;
                 };
                 FieldUI.sync()
                   .then(() => window.savedMeanwhile)
                   .then(resolve);
               })"""
        )
        eventually(lambda: len(fake.bodies) >= 2)
        sent = [[r["id"] for r in body["records"]] for body in fake.bodies]
        assert sent == [first, [second]]
        eventually(lambda: outbox(page) == [])
