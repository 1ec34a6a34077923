"""Helpers every controller uses: a full page or an HTMX fragment."""

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

from server.pagination import PAGE_SIZE, Page, page_number
from server.settings import Settings

__all__ = [
    "PAGE_SIZE",
    "Page",
    "is_fragment_request",
    "page_number",
    "render",
    "settings_of",
]


def is_fragment_request(request: Request, target: str) -> bool:
    """True when HTMX asks to swap just `target`; history restores get full pages."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-history-restore-request") != "true"
        and target in (headers.get("hx-target"), headers.get("hx-trigger"))
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    target: str | None = None,
    status_code: int = 200,
) -> Template:
    """Render `template`, or only `fragment` when HTMX targets `target`."""
    name = template
    if fragment and target and is_fragment_request(request, target):
        name = fragment
    return Template(
        template_name=name,
        context=dict(context or {}),
        status_code=status_code,
        headers={"Vary": "HX-Request"},
    )


def settings_of(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings
