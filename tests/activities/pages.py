"""Reading pages in tests: CSS selectors over the rendered HTML."""

from bs4 import BeautifulSoup


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")
