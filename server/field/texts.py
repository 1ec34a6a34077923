"""Words the offline pages' scripts show, translated on the server for the page.

`{n}`, `{who}` and `{what}` are filled in by the script; they are passed as the
values of named placeholders so that the catalogue keeps one sentence each.
"""

from server.i18n import _


def script_texts() -> dict[str, str]:
    return {
        **_sync_texts(),
        **_status_texts(),
        **_visit_texts(),
        **_checkin_texts(),
        **_card_texts(),
    }


def _sync_texts() -> dict[str, str]:
    return {
        "sync_running": _("Sending…"),
        "sync_busy": _("Already sending; please wait."),
        "sync_offline": _("No signal. Everything stays saved on this phone."),
        "sync_failed": _(
            "The server could not be reached. Everything stays saved on this "
            "phone and will be sent later."
        ),
        "sync_done": _("Sent. The server confirmed %(n)s records.", n="{n}"),
        "sync_nothing": _("Nothing to send. Team data is up to date."),
        "sync_refused": _(
            "%(n)s records were refused by the server: see the outbox.", n="{n}"
        ),
        "sync_login": _(
            "Please log in again to send. Everything stays saved on this phone."
        ),
        "sync_error": _(
            "The server did not accept the sending: %(what)s", what="{what}"
        ),
        "never": _("Never"),
        "online": _("Signal"),
        "offline": _("No signal"),
        "offline_ready": _("This phone is ready to work without signal."),
        "clock_off": _(
            "This phone's clock is off by about %(n)s minutes. Please set the "
            "right time.",
            n="{n}",
        ),
        "other_owner": _(
            "This phone holds %(n)s records saved under another login. Log in as "
            "that person to send them; they are never sent with yours.",
            n="{n}",
        ),
        "data_none": _(
            "No team data on this phone yet. Open this page once with signal."
        ),
        "data_from": _("Team data from %(what)s.", what="{what}"),
    }


def _status_texts() -> dict[str, str]:
    return {
        "status_waiting": _("Saved on this phone, waiting to be sent"),
        "status_held": _(
            "Saved on this phone; the server waits for an earlier record first"
        ),
        "status_refused": _("Refused by the server"),
        "status_accepted": _("Confirmed by the server"),
        "status_conflict": _("Sent to the station for review"),
        "kind_visit": _("Home visit"),
        "kind_in": _("Check-in"),
        "kind_out": _("Check-out"),
        "discard_confirm": _("Discard this record? It will never be sent."),
        "with_photo": _("with a photo"),
        "volunteers_present": _("%(n)s volunteers present", n="{n}"),
        "outbox_empty": _("No records are waiting on this phone."),
    }


def _visit_texts() -> dict[str, str]:
    return {
        "need_recipient": _("Please choose the recipient."),
        "need_volunteers": _("Please tick who was present."),
        "need_started": _("Please give the start time."),
        "need_ended": _("Please give the end time."),
        "end_before_start": _("The end must be after the start."),
        "too_long": _("A visit can last at most 12 hours."),
        "in_future": _("The end cannot be in the future."),
        "need_service": _("Please choose a service type."),
        "photo_failed": _(
            "The photo could not be read. Choose another, or save without a photo."
        ),
        "visit_saved": _(
            "Saved on this phone. It will be sent when there is signal: %(what)s",
            what="{what}",
        ),
        "correcting": _(
            "Correcting a refused record. Saving makes a new record and discards "
            "the refused one."
        ),
    }


def _checkin_texts() -> dict[str, str]:
    return {
        "need_activity": _("Please choose the activity first."),
        "need_code": _("Scan the card or type its short code."),
        "bad_card_code": _(
            "This is not a volunteer card code. Scan the card again or type the "
            "short code shown under it."
        ),
        "checkin_saved": _("Saved on this phone: %(what)s", what="{what}"),
        "not_activity_code": _(
            "This is not an activity check-in code. Scan the code on the captain's "
            "screen."
        ),
        "activity_unknown": _("An activity of your station (number %(n)s)", n="{n}"),
        "camera_again": _("Scan the next card"),
    }


def _card_texts() -> dict[str, str]:
    return {
        "hours_in_year": _("Confirmed hours in %(year)s", year="{year}"),
        "stars": _("%(n)s stars", n="{n}"),
        "card_none": _("No card on this phone yet. Open this page once with signal."),
        "card_age": _("Card data from %(what)s.", what="{what}"),
        "codes_gone": _(
            "The card codes kept on this phone have run out. Open this page once "
            "with signal to get new ones."
        ),
    }
