"""A partner's scan: only masked facts, whether the benefit applies, and why not."""

from datetime import timedelta

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.cards.certification import certify_level
from server.cards.service import issue_printed_card, revoke_printed_cards
from server.cards.tokens import card_keys
from server.db import utcnow
from server.partners.models import BenefitUse, Verification
from tests.cards.helpers import Page
from tests.factories import make_station, make_user, make_volunteer


def phone_token(settings, volunteer, now=None) -> str:
    return card_keys(settings).phone_token(
        settings, volunteer.volunteer_no, now or utcnow()
    )


def scan(client, code: str) -> Page:
    response = client.submit("/partner/verify", {"code": code})
    assert response.status_code == 200, response.text
    return Page(response.text)


def outcomes(db, partner) -> list[str]:
    query = select(Verification.outcome).where(Verification.partner_id == partner.id)
    return list(db.exec(query.order_by(Verification.id)))


def test_scan_page_has_the_scanner_and_the_typed_code_form(client, counter):
    client.login(counter.user.username)
    page = Page(client.get("/partner/scan").text)
    scripts = [s.get("src") for s in page.all("script")]
    assert "/static/vendor/jsqr-1.4.0/jsQR.js" in scripts
    assert "/static/scanner.js" in scripts
    scanner = page.all("div", data_scanner="")[0]
    assert scanner.get("data-target-input") == "#card-code"
    assert "data-autosubmit" in scanner.attrs
    form = page.id("verify-form")
    assert form.get("action") == "/partner/verify" and form.get("method") == "post"
    assert page.id("card-code").get("name") == "code"
    assert page.id("verify-submit") is not None


def test_a_valid_card_shows_only_masked_facts(client, db, settings, counter):
    office = make_user(db, Role.office_admin)
    certify_level(db, counter.holder.id, 2, office)
    client.login(counter.user.username)

    page = scan(client, phone_token(settings, counter.holder))
    result = page.id("verify-result")
    assert result.get("data-applies") == "yes"
    assert page.id("verify-name").text == "测*明"
    assert page.id("verify-stars").get("data-level") == "2"
    photo = page.id("verify-photo").get("src")
    assert photo == f"/volunteers/{counter.holder.id}/photo"
    assert client.get(photo).status_code == 200
    assert counter.benefit.terms in page.id(f"benefit-{counter.benefit.id}").text
    assert page.id("record-use") is not None

    holder = counter.holder
    for secret in (
        holder.name,
        holder.id_number,
        holder.mobile,
        holder.emergency_mobile,
        holder.volunteer_no,
        holder.emergency_name,
    ):
        assert secret not in page.html
    assert outcomes(db, counter.partner) == ["applies"]


def test_a_typed_short_code_works_like_the_token(client, db, settings, counter):
    client.login(counter.user.username)
    short = card_keys(settings).short_code(
        settings, counter.holder.volunteer_no, utcnow()
    )
    page = scan(client, short)
    assert page.id("verify-result").get("data-applies") == "yes"


def test_a_volunteer_without_the_benefit_card_is_shown_why(
    client, db, settings, counter
):
    station = make_station(db)
    newcomer = make_volunteer(db, station)
    client.login(counter.user.username)

    page = scan(client, phone_token(settings, newcomer))
    assert page.id("verify-result").get("data-applies") == "no"
    assert page.id("verify-result").get("data-outcome") == "not_eligible"
    assert page.id("verify-reason").text
    assert page.id("verify-name") is not None  # the card itself is valid
    assert page.id("record-use") is None


def test_an_expired_agreement_means_no_benefit(client, db, settings, counter):
    counter.partner.agreement_ends = utcnow().date() - timedelta(days=2)
    db.add(counter.partner)
    db.flush()
    client.login(counter.user.username)

    page = scan(client, phone_token(settings, counter.holder))
    assert page.id("verify-result").get("data-applies") == "no"
    assert page.id("verify-result").get("data-outcome") == "agreement_invalid"
    assert page.id("record-use") is None


@pytest.mark.parametrize(
    ("make_code", "outcome"),
    [
        (lambda s, v: phone_token(s, v)[:-3] + "AAA", "forged"),
        (lambda s, v: phone_token(s, v, utcnow() - timedelta(minutes=10)), "expired"),
        (lambda s, v: f"{v.volunteer_no}-000000", "wrong_code"),
        (lambda s, v: "not a card at all", "forged"),
    ],
)
def test_refused_codes_show_a_reason_and_nothing_else(
    client, db, settings, counter, make_code, outcome
):
    client.login(counter.user.username)
    page = scan(client, make_code(settings, counter.holder))
    result = page.id("verify-result")
    assert result.get("data-applies") == "no"
    assert result.get("data-outcome") == outcome
    assert page.id("verify-reason").text
    assert page.id("verify-name") is None and page.id("verify-photo") is None
    assert outcomes(db, counter.partner) == [outcome]


def test_an_old_code_asks_for_a_refresh(client, db, settings, counter):
    client.login(counter.user.username)
    old = phone_token(settings, counter.holder, utcnow() - timedelta(minutes=10))
    page = scan(client, old)
    assert page.id("verify-result").get("data-outcome") == "expired"
    assert outcomes(db, counter.partner) == ["expired"]


def test_a_revoked_printed_card_and_an_unapproved_volunteer_are_refused(
    client, db, settings, counter
):
    card = issue_printed_card(db, counter.holder)
    token = card_keys(settings).printed_token(card, counter.holder.volunteer_no)
    revoke_printed_cards(db, counter.holder.id, "lost")
    client.login(counter.user.username)
    assert scan(client, token).id("verify-result").get("data-outcome") == "revoked"

    fresh = phone_token(settings, counter.holder)
    counter.holder.status = "rejected"
    db.add(counter.holder)
    db.flush()
    assert scan(client, fresh).id("verify-result").get("data-outcome") == "not_approved"


def test_an_empty_code_is_an_error_next_to_the_field(client, counter):
    client.login(counter.user.username)
    response = client.submit("/partner/verify", {"code": "  "})
    assert response.status_code == 400
    page = Page(response.text)
    assert page.id("card-code").get("aria-invalid") == "true"
    assert "card-code-error" in page.id("card-code").get("aria-describedby")


@pytest.mark.parametrize("role", [Role.volunteer, Role.head, Role.office_admin])
def test_only_partners_may_scan(client, db, role, counter):
    station = make_station(db)
    user = make_user(db, role, station_id=station.id)
    client.login(user.username)
    assert client.get("/partner/scan").status_code == 403
    assert client.submit("/partner/verify", {"code": "x"}).status_code == 403


def record(client, page: Page):
    form = page.id("use-form")
    data = {i.get("name"): i.get("value") for i in form.iter() if i.tag == "input"}
    data.pop("_csrf_token", None)
    return client.submit("/partner/uses", data)


def test_a_use_is_recorded_once_a_day(client, db, settings, counter):
    client.login(counter.user.username)
    first = scan(client, phone_token(settings, counter.holder))
    response = record(client, first)
    assert response.status_code == 200
    assert Page(response.text).id("use-recorded") is not None

    again = record(client, first)  # the same page, submitted twice
    assert again.status_code == 409
    assert Page(again.text).id("use-refused").get("data-reason") == "limit_reached"

    rescan = scan(client, phone_token(settings, counter.holder))
    assert rescan.id("verify-result").get("data-applies") == "no"
    assert rescan.id("verify-result").get("data-outcome") == "limit_reached"
    uses = db.exec(
        select(BenefitUse).where(BenefitUse.volunteer_id == counter.holder.id)
    )
    assert [use.slot for use in uses] == [1]


def test_a_benefit_allowing_two_a_day_takes_two(client, db, settings, counter):
    counter.benefit.per_day_limit = 2
    db.add(counter.benefit)
    db.flush()
    client.login(counter.user.username)
    page = scan(client, phone_token(settings, counter.holder))
    assert record(client, page).status_code == 200
    assert record(client, page).status_code == 200
    assert record(client, page).status_code == 409


def test_the_use_form_answers_htmx_with_a_fragment(client, db, settings, counter):
    client.login(counter.user.username)
    page = scan(client, phone_token(settings, counter.holder))
    form = page.id("use-form")
    assert form.get("hx-target") == "#use-outcome"
    data = {i.get("name"): i.get("value") for i in form.iter() if i.tag == "input"}
    headers = {"HX-Request": "true", "HX-Target": "use-outcome"}
    done = client.submit("/partner/uses", data, headers=headers)
    assert done.status_code == 200 and "<html" not in done.text
    assert Page(done.text).id("use-recorded") is not None
    refused = client.submit("/partner/uses", data, headers=headers)
    assert refused.status_code == 200  # HTMX swaps only 2xx answers
    assert Page(refused.text).id("use-refused") is not None


def test_a_reference_is_bound_to_its_partner_and_does_not_last(
    client, db, settings, counter
):
    from server.partners.service import USE, sign_reference

    client.login(counter.user.username)
    benefit = str(counter.benefit.id)
    elsewhere = sign_reference(
        settings, USE, counter.holder.id, counter.partner.id + 1, utcnow()
    )
    old = sign_reference(
        settings,
        USE,
        counter.holder.id,
        counter.partner.id,
        utcnow() - timedelta(hours=1),
    )
    forged = sign_reference(
        settings, USE, counter.holder.id, counter.partner.id, utcnow()
    )
    forged = forged.replace(
        f"{USE}.{counter.holder.id}.", f"{USE}.{counter.holder.id + 1}."
    )
    for ref in (elsewhere, old, forged, "", "junk"):
        response = client.submit("/partner/uses", {"ref": ref, "benefit_id": benefit})
        assert response.status_code == 409
        assert Page(response.text).id("use-refused").get("data-reason") == "stale_scan"
    assert not db.exec(select(BenefitUse)).all()


def test_use_date_is_the_city_date(db, settings, counter):
    from datetime import UTC, date, datetime

    from server.partners.service import USE, UseRefused, record_use, sign_reference

    def use_at(moment):
        partner = counter.partner
        ref = sign_reference(settings, USE, counter.holder.id, partner.id, moment)
        return record_use(db, settings, counter.user, ref, counter.benefit.id, moment)

    counter.partner.agreement_starts = date(2026, 1, 1)
    counter.partner.agreement_ends = date(2026, 12, 31)
    db.add(counter.partner)
    db.flush()

    after_midnight_local = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 00:30, 5th
    assert use_at(after_midnight_local).use_date == date(2026, 12, 5)
    with pytest.raises(UseRefused) as refused:
        use_at(datetime(2026, 12, 5, 15, 59, tzinfo=UTC))  # 23:59 local, 5th
    assert refused.value.code == "limit_reached"
    assert use_at(datetime(2026, 12, 4, 15, 59, tzinfo=UTC)).use_date == date(
        2026, 12, 4
    )
