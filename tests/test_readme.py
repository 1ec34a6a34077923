"""The README stays true: its settings table is the one the code documents, and the
demo logins it lists are the ones the demo creates.
"""

from server.demo.data import DEMO_PASSWORD
from tests.readme_settings import README, rewritten
from tests.test_demo import LOGINS


def test_the_settings_table_matches_the_settings():
    readme = README.read_text(encoding="utf-8")
    assert rewritten(readme) == readme, "the settings changed: run `make readme`"


def test_the_demo_logins_table_lists_every_demo_login():
    readme = README.read_text(encoding="utf-8")
    assert DEMO_PASSWORD in readme
    for username in LOGINS:
        assert f"| `{username}` |" in readme, username
