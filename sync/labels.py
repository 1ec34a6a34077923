"""Words for flag kinds and reasons, in the reader's language."""

from server.i18n import _


def flag_kind_labels() -> dict[str, str]:
    return {
        "overlap": _("Time recorded twice"),
        "clock": _("Phone clock wrong"),
        "conflict": _("Late change to review"),
    }


def reason_labels() -> dict[str, str]:
    return {
        "overlap": _("Overlapping records; the time was counted once."),
        "deleted_on_server": _("Edited on a phone after it was deleted here."),
        "edited_elsewhere": _("Changed on two phones at once."),
        "already_confirmed": _("Changed after a leader confirmed its hours."),
    }
