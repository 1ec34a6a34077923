"""Helpers for the card and partner tests: credited hours and a tiny HTML reader.

The HTML reader uses only the standard library: it finds elements by id or by tag
and attribute, which is all these tests need to check pages by selector.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from io import BytesIO

import zxingcpp
from PIL import Image
from sqlmodel import Session

from server.accounts.models import Role, User
from server.ledger.models import LedgerEntry, LedgerReview
from server.volunteers.models import Volunteer
from tests.factories import make_user


def credit(
    db: Session,
    volunteer: Volunteer,
    minutes: int,
    *,
    year: int = 2026,
    decision: str | None = "confirmed",
    reviewer: User | None = None,
) -> LedgerEntry:
    """One ledger entry of `minutes` in `year`, reviewed with `decision` (or not)."""
    moment = datetime(year, 6, 1, 2, 0, tzinfo=UTC)
    entry = LedgerEntry(
        volunteer_id=volunteer.id,
        station_id=volunteer.station_id,
        source="backfill",
        service_date=date(year, 6, 1),
        service_year=year,
        minutes=minutes,
        started_at=moment,
        ended_at=moment + timedelta(minutes=max(minutes, 0)),
    )
    db.add(entry)
    db.flush()
    if decision:
        reviewer = reviewer or make_user(db, Role.head, station_id=volunteer.station_id)
        db.add(
            LedgerReview(entry_id=entry.id, decision=decision, reviewed_by=reviewer.id)
        )
        db.flush()
    return entry


def decode_qr(png: bytes) -> list[str]:
    """Every QR code zxing-cpp finds in a PNG, as text."""
    return [found.text for found in zxingcpp.read_barcodes(Image.open(BytesIO(png)))]


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list["Element"] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()


_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        for element in self.stack[1:]:
            element.parts.append(data)


class Page:
    """A parsed HTML page: `page.id("x")`, `page.all("input", name="code")`."""

    def __init__(self, html: str) -> None:
        builder = _Builder()
        builder.feed(html)
        self.root = builder.root
        self.html = html

    def all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        wanted = {name.rstrip("_").replace("_", "-"): v for name, v in attrs.items()}
        return [
            element
            for element in self.root.iter()
            if (tag is None or element.tag == tag)
            and all(element.attrs.get(k) == v for k, v in wanted.items())
        ]

    def id(self, element_id: str) -> Element | None:
        found = self.all(id=element_id)
        assert len(found) <= 1, f"id {element_id} appears {len(found)} times"
        return found[0] if found else None
