"""The city's calendar for a request: days and display times in the city's zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from litestar import Request


def city_zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def city_today(request: Request) -> date:
    """Today in the city, whatever zone the server runs in."""
    return datetime.now(city_zone(request)).date()
