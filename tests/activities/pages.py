"""Reading pages in tests: find elements by id, tag and attributes (stdlib only)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
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


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list["Element"] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._texts()).split())

    def _texts(self):
        yield from self.texts
        for child in self.children:
            yield from child._texts()

    def walk(self):
        for child in self.children:
            yield child
            yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list["Element"]:
        """Elements with `tag` and `attrs` (True: present; `class_`: has the class)."""
        return [e for e in self.walk() if e.matches(tag, attrs)]

    def find(self, tag: str | None = None, **attrs: str | bool) -> "Element | None":
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, element_id: str) -> "Element":
        found = self.find(id=element_id)
        assert found is not None, f"no element #{element_id}"
        return found

    def matches(self, tag, attrs) -> bool:
        if tag and self.tag != tag:
            return False
        for name, wanted in attrs.items():
            if name == "class_":
                if wanted not in self.attrs.get("class", "").split():
                    return False
                continue
            name = name.replace("_", "-")
            if wanted is True:
                if name not in self.attrs:
                    return False
            elif self.attrs.get(name) != wanted:
                return False
        return True


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(
            Element(tag, {k: v if v is not None else "" for k, v in attrs})
        )

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].texts.append(data)


def page(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
