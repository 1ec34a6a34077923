"""Translations: English message ids, Chinese first in the UI.

Catalogues are gettext `.po` files under `web/locale/`; they are compiled in memory
when the app starts, so no build step stands between editing one and seeing it.
"""

import gettext
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "web" / "locale"
LOCALES = ("zh_Hans", "en")
LOCALE_NAMES = {"zh_Hans": "中文", "en": "English"}

_current: ContextVar[str] = ContextVar("locale", default="zh_Hans")
_catalogues: dict[str, gettext.NullTranslations] = {}


def load_catalogues() -> None:
    """Compile every `.po` catalogue; English needs none (its ids are English)."""
    _catalogues["en"] = gettext.NullTranslations()
    for locale in LOCALES:
        po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=locale)
        compiled = BytesIO()
        write_mo(compiled, catalogue)
        compiled.seek(0)
        _catalogues[locale] = gettext.GNUTranslations(compiled)


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else LOCALES[0])


def get_locale() -> str:
    return _current.get()


def _translations() -> gettext.NullTranslations:
    if not _catalogues:
        load_catalogues()
    return _catalogues.get(_current.get(), gettext.NullTranslations())


def gettext_(message: str, **values: object) -> str:
    """Translate `message` into the request's language, then fill `%(name)s`."""
    text = _translations().gettext(message)
    return text % values if values else text


def ngettext_(singular: str, plural: str, n: int, **values: object) -> str:
    text = _translations().ngettext(singular, plural, n)
    return text % {"num": n, **values}


_ = gettext_


def pick_locale(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language asked for by ?lang=, then the cookie, then the browser."""
    for candidate in (query, cookie):
        if candidate in LOCALES:
            return candidate
    if accept and accept.lower().startswith("en"):
        return "en"
    return LOCALES[0]
