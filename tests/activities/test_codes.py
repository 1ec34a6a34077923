"""Activity check-in codes: they rotate, expire, and cannot be forged or reused."""

from datetime import UTC, datetime, timedelta

import pytest

from server.activities.codes import (
    CodeRefused,
    current_step,
    make_code,
    seconds_until_change,
    token_from,
    verify_code,
)
from server.settings import Settings

SHOWN = datetime(2026, 6, 1, 1, 0, 0, tzinfo=UTC)  # a step boundary (60 s steps)


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(
        {},
        environment="test",
        activity_code_seconds=60,
        activity_code_valid_seconds=180,
    )


def refused_code(raw: str, settings: Settings, **kwargs) -> str:
    with pytest.raises(CodeRefused) as refused:
        verify_code(raw, settings, **kwargs)
    assert refused.value.message  # a sentence a person can read
    return refused.value.code


def test_code_names_its_activity(settings):
    token = make_code(42, settings, SHOWN)
    code = verify_code(token, settings, SHOWN + timedelta(seconds=5))
    assert code.activity_id == 42
    assert code.step == current_step(settings, SHOWN)


def test_token_is_short_ascii(settings):
    token = make_code(123456, settings, SHOWN)
    assert token.isascii() and len(token) < 60
    assert all(ch.isalnum() or ch in "._-" for ch in token)


def test_code_rotates_every_step(settings):
    first = make_code(1, settings, SHOWN)
    assert make_code(1, settings, SHOWN + timedelta(seconds=59)) == first
    assert make_code(1, settings, SHOWN + timedelta(seconds=60)) != first
    assert seconds_until_change(settings, SHOWN + timedelta(seconds=15)) == 45


def test_code_is_accepted_for_the_valid_time_after_it_was_shown(settings):
    token = make_code(1, settings, SHOWN)
    # Shown until SHOWN + 60 s, then accepted for 180 s more.
    verify_code(token, settings, SHOWN + timedelta(seconds=240))
    assert refused_code(token, settings, now=SHOWN + timedelta(seconds=241)) == (
        "code_expired"
    )


def test_a_photo_sent_home_stops_working(settings):
    token = make_code(1, settings, SHOWN)
    assert refused_code(token, settings, now=SHOWN + timedelta(hours=1)) == (
        "code_expired"
    )


def test_codes_from_the_future_are_refused(settings):
    token = make_code(1, settings, SHOWN + timedelta(minutes=5))
    assert refused_code(token, settings, now=SHOWN) == "code_invalid"


def test_wrong_activity_is_refused(settings):
    token = make_code(1, settings, SHOWN)
    assert refused_code(token, settings, now=SHOWN, activity_id=2) == (
        "code_other_activity"
    )
    assert verify_code(token, settings, SHOWN, activity_id=1).activity_id == 1


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t.replace("1.", "2.", 1),  # another activity, same signature
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: t.rsplit(".", 1)[0],  # no signature
        lambda t: "",
        lambda t: "not a code",
        lambda t: t + "=",
        lambda t: "１." + t.split(".", 1)[1],  # full-width digit
    ],
)
def test_forged_or_garbled_codes_are_refused(settings, forge):
    token = make_code(1, settings, SHOWN)
    assert refused_code(forge(token), settings, now=SHOWN) == "code_invalid"


def test_another_secret_signs_different_codes(settings):
    other = Settings.from_env({}, environment="test", secret_key="x" * 40)
    token = make_code(1, other, SHOWN)
    assert refused_code(token, settings, now=SHOWN) == "code_invalid"


def test_moving_the_step_forward_breaks_the_signature(settings):
    activity, step, signature = make_code(1, settings, SHOWN).split(".")
    later = f"{activity}.{int(step) + 2}.{signature}"
    now = SHOWN + timedelta(minutes=2)
    assert refused_code(later, settings, now=now) == "code_invalid"


def test_the_whole_url_or_the_token_is_accepted(settings):
    token = make_code(7, settings, SHOWN)
    for raw in (
        token,
        f"  {token}\n",
        f"http://127.0.0.1:8000/checkin?c={token}",
        f"https://example.invalid/checkin?lang=en&c={token}",
    ):
        assert token_from(raw) == token
        assert verify_code(raw, settings, SHOWN).activity_id == 7
    assert token_from("http://127.0.0.1/checkin") == ""
