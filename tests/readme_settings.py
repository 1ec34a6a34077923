"""The README's settings table, generated from `server.settings.documented_settings()`.

`make readme` rewrites the table between its markers; `tests/test_readme.py` checks
that the committed table is what this generates.
"""

import sys
from typing import Any

from server.settings import ROOT, documented_settings

README = ROOT / "README.md"
START = "<!-- settings:start (make readme) -->"
END = "<!-- settings:end -->"


def _default(value: Any) -> str:
    if isinstance(value, tuple):
        value = ",".join(str(part) for part in value)
    text = str(value).replace(str(ROOT), "<repo>")
    return f"`{text}`" if text else "(empty)"


def settings_table() -> str:
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    for env, help_text, default in documented_settings():
        rows.append(f"| `{env}` | {help_text} | {_default(default)} |")
    return "\n".join(rows)


def rewritten(readme: str) -> str:
    """`readme` with the text between the markers replaced by the current table."""
    before, start, rest = readme.partition(START)
    _old, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README.md lacks the markers {START} ... {END}")
    return f"{before}{START}\n{settings_table()}\n{END}{after}"


if __name__ == "__main__":
    README.write_text(rewritten(README.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)
