"""Tinbao's configuration: every variable of docs/configuration.md in one Settings object."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url

from core.quiet_hours import QuietHours, parse_quiet_hours


class SettingsError(Exception):
    """A required setting is missing or malformed; the message names the variable."""


# Deadlines per report category, with "urgent" for reports marked urgent and "default" for any
# category not named. Crimes get 20 days to be settled: the Criminal Procedure Code's limit
# (art. 147) for settling a report of a crime.
CLAIM_WITHIN: dict[str, timedelta] = {
    "urgent": timedelta(minutes=15),
    "fire": timedelta(hours=1),
    "violence": timedelta(hours=2),
    "weapons": timedelta(hours=2),
    "drugs": timedelta(hours=8),
    "default": timedelta(hours=24),
}
RESOLVE_WITHIN: dict[str, timedelta] = {
    "drugs": timedelta(days=20),
    "theft": timedelta(days=20),
    "fraud": timedelta(days=20),
    "violence": timedelta(days=20),
    "weapons": timedelta(days=20),
    "fire": timedelta(days=3),
    "default": timedelta(days=7),
}
DEADLINE_KEYS = frozenset(
    {"urgent", "default", "drugs", "theft", "fraud", "violence", "fire", "weapons"}
    | {"suspicious", "traffic", "other"}
)


class Settings(BaseSettings):
    """Everything Tinbao reads from the environment or a `.env` file."""

    model_config = SettingsConfigDict(
        env_prefix="TINBAO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///./tinbao.db"
    secret_key: SecretStr | None = None
    admin_token: SecretStr | None = None
    media_dir: Path = Path("./media")

    zalo_token: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: SecretStr | None = None

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: SecretStr | None = None
    telegram_mode: Literal["webhook", "polling"] = "webhook"

    zalo_oa_app_id: str | None = None
    zalo_oa_secret_key: SecretStr | None = None
    zalo_oa_app_secret: SecretStr | None = None
    zalo_oa_refresh_token: SecretStr | None = None
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"

    public_url: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    locale: Literal["vi", "en"] = "vi"
    # The provinces served (codes or names, comma-separated): places are looked up there first.
    provinces: Annotated[tuple[str, ...], NoDecode] = ()

    # Broadcasts: quiet hours in local time ("" for none), how late a run may still go, and
    # after how many failures in a row a run pauses itself.
    quiet_hours: str = "21:30-06:30"
    broadcast_max_late: timedelta = timedelta(hours=6)
    broadcast_max_errors: int = Field(default=50, ge=1)
    # A broadcast composed in a chat waits for a second officer (off: a ward with one officer);
    # an urgent one may go on its author's word alone when urgent_self_approve is on.
    broadcast_approval: bool = True
    urgent_self_approve: bool = False

    # The browser playground channel of `tinbao demo`: anyone who reaches the port speaks as
    # anyone. Never for production; `tinbao demo` turns it on, nothing else should.
    playground: bool = False

    # Beyond the contract (docs/configuration.md): operational knobs with safe defaults.
    inbox_retention_days: int = Field(default=30, ge=1)
    inbox_max_attempts: int = Field(default=5, ge=1)
    zalo_messages_per_second: float = Field(default=5.0, gt=0)
    zalo_chat_messages_per_second: float = Field(default=1.0, gt=0)
    telegram_messages_per_second: float = Field(default=30.0, gt=0)
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    # How long an SQLite write waits for a lock another process holds before it fails.
    sqlite_busy_seconds: float = Field(default=30.0, gt=0, le=600)
    reports_per_day: int = Field(default=10, ge=1)
    # How long a dead process keeps its chats and its leadership before others take them over.
    lease_seconds: float = Field(default=15.0, ge=2.0, le=300.0)
    delete_group_reports: bool = True
    # JSON objects of category (or "urgent", "default") to an ISO 8601 duration, e.g.
    # TINBAO_CLAIM_WITHIN='{"urgent": "PT10M", "default": "PT12H"}'; named keys replace defaults.
    claim_within: dict[str, timedelta] = Field(default_factory=lambda: dict(CLAIM_WITHIN))
    resolve_within: dict[str, timedelta] = Field(default_factory=lambda: dict(RESOLVE_WITHIN))
    # How long an answer of Telegram's getChatMember is trusted for a triage action.
    member_check_seconds: float = Field(default=60.0, ge=0, le=3600)
    # Likely duplicates suggested on a card (domain/reports/similar.py): precision first.
    duplicate_within: timedelta = timedelta(hours=3)
    duplicate_metres: float = Field(default=300.0, gt=0, le=5000)
    duplicate_ward_km: float = Field(default=2.0, ge=0, le=50)
    duplicate_min_score: float = Field(default=0.5, gt=0, le=1)

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except Exception as error:  # SQLAlchemy raises ArgumentError for junk
            raise ValueError("not a database URL") from error
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite and postgresql are supported")
        return value

    @field_validator("claim_within", "resolve_within")
    @classmethod
    def _deadlines(cls, value: dict[str, timedelta], info: ValidationInfo) -> dict[str, timedelta]:
        if unknown := set(value) - DEADLINE_KEYS:
            raise ValueError(f"unknown category {sorted(unknown)[0]!r}")
        if any(span <= timedelta(0) for span in value.values()):
            raise ValueError("durations must be positive")
        defaults = CLAIM_WITHIN if info.field_name == "claim_within" else RESOLVE_WITHIN
        return defaults | value

    @field_validator("provinces", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _readable_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value, ZoneInfo("UTC"))  # raises a QuietHoursError (a ValueError)
        return value

    @field_validator("broadcast_max_late")
    @classmethod
    def _positive_lateness(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown time zone") from error
        return value

    @field_validator("zalo_webhook_secret", "telegram_webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 of [A-Za-z0-9_-]; Zalo wants 8-256: hold both to the stricter.
        if value is not None:
            raw = value.get_secret_value()
            if not 8 <= len(raw) <= 256 or not all(c.isalnum() or c in "_-" for c in raw):
                raise ValueError("must be 8 to 256 letters, digits, '_' or '-'")
        return value

    def claim_within_for(self, *, category: str, urgent: bool) -> timedelta:
        """How long a new report of the category may wait to be claimed."""
        spans = self.claim_within
        return spans["urgent"] if urgent else spans.get(category, spans["default"])

    def resolve_within_for(self, *, category: str) -> timedelta:
        """How long a report of the category may stay open."""
        return self.resolve_within.get(category, self.resolve_within["default"])

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite."""
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def zone(self) -> ZoneInfo:
        """The time zone in which people read dates."""
        return ZoneInfo(self.timezone)

    @property
    def quiet(self) -> QuietHours | None:
        """The quiet hours for routine broadcasts, in the local time zone; None if off."""
        return parse_quiet_hours(self.quiet_hours, self.zone)

    @property
    def telegram_on(self) -> bool:
        """Whether the Telegram channel is configured."""
        return self.telegram_token is not None

    @property
    def zalo_on(self) -> bool:
        """Whether the Zalo Bot channel is configured."""
        return self.zalo_token is not None

    @property
    def zalo_oa_on(self) -> bool:
        """Whether the Zalo Official Account channel is configured."""
        return self.zalo_oa_app_id is not None and self.zalo_oa_secret_key is not None

    def check_for_serving(self) -> None:
        """Raise SettingsError naming the first variable `serve` cannot do without."""
        if self.playground:
            raise SettingsError(
                "TINBAO_PLAYGROUND is for `tinbao demo` only: anyone could speak as anyone"
            )
        if self.zalo_on and self.zalo_webhook_secret is None:
            raise SettingsError(
                "TINBAO_ZALO_WEBHOOK_SECRET is required when TINBAO_ZALO_TOKEN is set"
            )
        if (
            self.telegram_on
            and self.telegram_mode == "webhook"
            and not self.telegram_webhook_secret
        ):
            raise SettingsError(
                "TINBAO_TELEGRAM_WEBHOOK_SECRET is required when TINBAO_TELEGRAM_TOKEN is set "
                "and TINBAO_TELEGRAM_MODE is webhook"
            )
        if self.secret_key is None and not self.is_sqlite:
            raise SettingsError("TINBAO_SECRET_KEY is required with a PostgreSQL database")
        if self.public_url is not None and not self.public_url.startswith("https://"):
            # Telegram and Zalo deliver webhooks over HTTPS only.
            raise SettingsError("TINBAO_PUBLIC_URL must start with https://")


class _GivenSettings(Settings):
    """Settings from the values given alone: no environment variable, no .env file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the init values."""
        return (init_settings,)


def settings_from(values: dict[str, Any]) -> Settings:
    """Settings of these values and the defaults, whatever the environment says (the demo)."""
    return _GivenSettings(**values)


def load_settings() -> Settings:
    """Read the settings, turning a validation error into one line that names the variable."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = "TINBAO_" + str(first["loc"][0]).upper() if first["loc"] else "TINBAO_*"
        raise SettingsError(f"{name}: {first['msg']}") from None


def sqlite_key_path(settings: Settings) -> Path:
    """Where the generated secret key lives beside an SQLite database."""
    database = make_url(settings.database_url).database or "tinbao.db"
    return Path(database).resolve().with_name("tinbao.key")


def resolve_secret_key(settings: Settings) -> tuple[bytes, bool]:
    """The key that encrypts identities, and whether it was generated just now."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode(), False
    if not settings.is_sqlite:
        raise SettingsError("TINBAO_SECRET_KEY is required with a PostgreSQL database")
    path = sqlite_key_path(settings)
    if path.exists():
        return path.read_text().strip().encode(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key.encode(), True
