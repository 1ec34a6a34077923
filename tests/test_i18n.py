"""Every string the UI shows has a Chinese translation, and every translation keeps
the placeholders of its English message id.

Strings are found the way `make messages` finds them: babel's extractors, with the
mapping in `babel.cfg`. Python's translation calls are also read as syntax, since a
message built at run time (an f-string, `.format`) can never be in a catalogue.
"""

import ast
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from server.settings import ROOT

CATALOGUE = ROOT / "web" / "locale" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
TRANSLATING = {"_", "gettext", "ngettext", "gettext_", "ngettext_"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Each message id the extractors find, with the places it was found."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def catalogue() -> Catalog:
    if not CATALOGUE.exists():
        pytest.fail(f"{CATALOGUE.relative_to(ROOT)} is missing: run `make messages`")
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="zh_Hans")


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def test_the_extractors_find_the_layouts_strings():
    # Guards the tests below against an extraction that silently finds nothing.
    assert "Log in" in extracted()


def test_every_message_has_a_chinese_translation():
    zh = catalogue()
    missing = []
    for message_id, places in sorted(extracted().items(), key=lambda item: item[1]):
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = zh.get(key)
        strings = entry.string if entry else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if not entry or entry.fuzzy or not all(s.strip() for s in strings):
            missing.append(f"{places[0]}: {key!r}")
    assert not missing, f"{len(missing)} untranslated:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_their_message_id():
    wrong = []
    for entry in catalogue():
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        # Chinese has one plural form; it takes the plural id's placeholders.
        expected = placeholders(ids[-1]) | placeholders(ids[0])
        for string in strings:
            if string and placeholders(string) != expected:
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def translation_calls(tree: ast.AST):
    # By name only: `i18n.py` itself calls `translations.gettext(message)`.
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in TRANSLATING
        ):
            yield node


def problems_in(source: str, where: str) -> list[str]:
    """Translation calls whose message is not one plain literal string."""
    tree = ast.parse(source, filename=where)
    found = []
    for call in translation_calls(tree):
        for argument in call.args[:2]:
            if not (
                isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            ):
                kind = type(argument).__name__
                found.append(f"{where}:{call.lineno}: message is a {kind}")
                break
    for node in ast.walk(tree):
        # `_("...").format(...)` or `_("...") % x` formats outside the translation.
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "format"
            and node.value in set(translation_calls(node.value))
        ) or (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and node.left in set(translation_calls(node.left))
        ):
            found.append(f"{where}:{node.lineno}: formatted after translation")
    return found


def test_python_translation_calls_take_a_literal_message():
    sources = [*ROOT.glob("server/**/*.py"), *ROOT.glob("sync/**/*.py")]
    problems = [
        problem
        for path in sources
        for problem in problems_in(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    assert not problems, "\n".join(problems)


def test_the_syntax_check_catches_what_it_should():
    sample = (
        "n = 3\n"
        "_(f'{n} hours')\n"
        "_('{} hours'.format(n))\n"
        "_('%s hours') % n\n"
        "_('{n} hours').format(n=n)\n"
        "gettext_(label)\n"
        "_('%(n)s hours', n=n)\n"
        "ngettext_('%(num)d hour', '%(num)d hours', n)\n"
    )
    lines = {int(p.split(":")[1]) for p in problems_in(sample, "sample.py")}
    assert lines == {2, 3, 4, 5, 6}
