"""Typed settings, read from the environment by the app factory, never at import."""

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLACEHOLDER_SECRET = "dev-only-secret-change-me"
ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe for the environment."""


def setting(env: str, default: Any, help: str) -> Any:
    """Declare a setting: its environment variable, default and one-line meaning."""
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    environment: str = setting(
        "APP_ENV",
        "development",
        "`development`, `test` or `production`; production refuses placeholder "
        "secrets and logs JSON.",
    )
    database_url: str = setting(
        "DATABASE_URL",
        f"sqlite:///{ROOT / 'var' / 'volunteer.db'}",
        "SQLAlchemy URL. SQLite by default; "
        "`postgresql+psycopg://user@host/db` for PostgreSQL.",
    )
    redis_url: str = setting(
        "REDIS_URL",
        "",
        "Redis URL for shared sessions and rate limits across app processes; "
        "empty keeps them in this process's memory.",
    )
    redis_namespace: str = setting(
        "REDIS_NAMESPACE",
        "volunteer",
        "Prefix of every key the app keeps in Redis, so that several deployments "
        "(or test runs) can share one Redis.",
    )
    secret_key: str = setting(
        "SECRET_KEY",
        PLACEHOLDER_SECRET,
        "Signs sessions, CSRF tokens and activity codes. At least 32 characters "
        "in production.",
    )
    card_signing_key: str = setting(
        "CARD_SIGNING_KEY",
        "",
        "Ed25519 private key (32 bytes, base64url) that signs volunteer card codes. "
        "Empty in development derives one from SECRET_KEY; required in production.",
    )
    city_name: str = setting(
        "CITY_NAME", "普洱市", "The city's name as shown in the UI."
    )
    city_code: str = setting(
        "CITY_CODE",
        "530800",
        "The city's statistical division code; only divisions under it are loaded.",
    )
    divisions_csv: str = setting(
        "DIVISIONS_CSV",
        str(ROOT / "data" / "puer-divisions.csv"),
        "CSV of the city's counties and townships (code,name,level,parent_code).",
    )
    timezone: str = setting(
        "CITY_TIMEZONE",
        "Asia/Shanghai",
        "The city's time zone: hours are attributed to its days and years, "
        "whatever the server's zone is.",
    )
    default_locale: str = setting(
        "DEFAULT_LOCALE", "zh_Hans", "UI language when the visitor chose none."
    )
    star_thresholds: tuple[int, ...] = setting(
        "STAR_THRESHOLDS",
        (100, 300, 600, 1000, 1500),
        "Confirmed cumulative hours for one to five stars, comma-separated.",
    )
    benefit_min_hours: int = setting(
        "BENEFIT_MIN_HOURS",
        25,
        "Confirmed hours in a calendar year that earn the benefit card.",
    )
    benefit_years: int = setting(
        "BENEFIT_YEARS",
        2,
        "How many years a benefit card earned in one year lasts "
        "(2: that year and the next).",
    )
    checkin_grace_minutes: int = setting(
        "CHECKIN_GRACE_MINUTES",
        10,
        "Minutes before an activity's start and after its end that still count.",
    )
    activity_code_seconds: int = setting(
        "ACTIVITY_CODE_SECONDS",
        60,
        "How often an activity's check-in QR code changes.",
    )
    activity_code_valid_seconds: int = setting(
        "ACTIVITY_CODE_VALID_SECONDS",
        180,
        "How long a shown activity code is accepted; a photo sent home stops "
        "working after this.",
    )
    card_code_seconds: int = setting(
        "CARD_CODE_SECONDS", 60, "How often the phone card's QR code changes."
    )
    card_code_valid_seconds: int = setting(
        "CARD_CODE_VALID_SECONDS",
        300,
        "How long a phone card's code is accepted after it was shown.",
    )
    sync_clock_flag_seconds: int = setting(
        "SYNC_CLOCK_FLAG_SECONDS",
        300,
        "A phone whose clock is off by more than this many seconds has its synced "
        "records flagged for the station's review (times are corrected anyway).",
    )
    sync_photo_max_bytes: int = setting(
        "SYNC_PHOTO_MAX_BYTES",
        512 * 1024,
        "Largest home-visit photo a phone may send, in bytes after decoding.",
    )
    sync_cursor_max_age_days: int = setting(
        "SYNC_CURSOR_MAX_AGE_DAYS",
        7,
        "A phone's sync cursor older than this forces a full pull of its data.",
    )
    port: int = setting("PORT", 8000, "Port that `make run` serves on.")
    log_format: str = setting(
        "LOG_FORMAT",
        "",
        "`json` or `console`; empty picks JSON in production, console elsewhere.",
    )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any):
        """Build settings from environment variables, then check them."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _parse(f, raw)
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if self.environment not in {"development", "test", "production"}:
            raise SettingsError("APP_ENV must be development, test or production")
        if self.is_production:
            if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
                raise SettingsError("SECRET_KEY must be a real secret in production")
            if not self.card_signing_key:
                raise SettingsError("CARD_SIGNING_KEY must be set in production")
        if list(self.star_thresholds) != sorted(self.star_thresholds):
            raise SettingsError("STAR_THRESHOLDS must rise from one star to five")


def _parse(f: dataclasses.Field, raw: str) -> Any:
    env = f.metadata["env"]
    try:
        if f.type in (int, "int"):
            return int(raw)
        if f.type in (tuple[int, ...], "tuple[int, ...]"):
            return tuple(int(part) for part in raw.split(","))
    except (ValueError, ArithmeticError) as error:
        raise SettingsError(f"{env}: cannot read {raw!r}") from error
    return raw


def documented_settings() -> list[tuple[str, str, Any]]:
    """Every setting as (environment variable, meaning, default), for the README."""
    return [
        (f.metadata["env"], f.metadata["help"], f.default)
        for f in dataclasses.fields(Settings)
    ]
