"""Helpers every controller uses: pages or HTMX fragments, and paginated lists."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.response import Template

PAGE_SIZE = 50


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


@dataclass(frozen=True)
class Page:
    """One page of a list, with what the template needs to link the others."""

    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1
