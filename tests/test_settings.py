import dataclasses
from pathlib import Path

import pytest

from server.settings import ROOT, Settings, SettingsError, documented_settings


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for env, help_text, _default in documented_settings():
        assert help_text.strip(), env
        assert f"`{env}`" in readme, f"{env} is missing from the README"


def test_production_refuses_placeholder_secrets():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"APP_ENV": "production"})
    with pytest.raises(SettingsError, match="CARD_SIGNING_KEY"):
        Settings.from_env({"APP_ENV": "production", "SECRET_KEY": "x" * 40})


def test_values_are_parsed_from_the_environment():
    settings = Settings.from_env(
        {"STAR_THRESHOLDS": "10,20,30,40,50", "BENEFIT_MIN_HOURS": "30", "PORT": "9001"}
    )
    assert settings.star_thresholds == (10, 20, 30, 40, 50)
    assert settings.benefit_min_hours == 30
    assert settings.port == 9001


def test_a_malformed_value_names_its_variable():
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().port = 1  # type: ignore[misc]


def test_divisions_file_ships_with_the_project():
    assert Path(Settings().divisions_csv).is_file()
