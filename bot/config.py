"""Settings from ``config/config.yaml``, validated at start with errors that name key and file.

The Discord token is never read from YAML: it comes from the ``DISCORD_TOKEN`` environment
variable (or a git-ignored ``.env``) and is kept out of every log line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import ConfigError

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "config.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParserRules(_Section):
    """What the parser needs to know about one newsletter's page layout.

    Every pattern is a case-insensitive regular expression searched in one paragraph.
    """

    section_headings: tuple[str, ...] = ()
    boilerplate: tuple[str, ...] = ()
    end_markers: tuple[str, ...] = ()
    caption_markers: tuple[str, ...] = ("Source:",)

    @field_validator("section_headings", "boilerplate", "end_markers", "caption_markers")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"{pattern!r} is not a valid regular expression: {error}"
                ) from None
        return patterns


class DateAnchorSetting(_Section):
    """One issue whose month is known, so that the cadence can date issues that say nothing."""

    number: int = Field(ge=0)
    date: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")


class Newsletter(_Section):
    name: str = Field(min_length=1)
    author: str | None = None
    url: str | None = None
    colour: str = Field(default="#5865F2", pattern=r"^#[0-9a-fA-F]{6}$")
    icon_url: str | None = None
    #: Time between two issues ("1 week", "2 weeks", "1 month"); used to date issues that
    #: state no year. Takes precedence over ``cadence_months``.
    cadence: str | None = Field(
        default=None,
        pattern=r"^\s*[1-9]\d{0,2}\s*(?:week|month)s?\s*$",
        description="N weeks/months",
    )
    #: Months between two issues (the older way to say ``cadence``).
    cadence_months: int = Field(default=1, ge=1, le=12)
    #: An issue whose month is known (e.g. the first), to date issues that state no year.
    date_anchor: DateAnchorSetting | None = None

    @property
    def colour_value(self) -> int:
        return int(self.colour[1:], 16)


class Content(_Section):
    folder: Path = Path("../seeds")
    parser: ParserRules = ParserRules()


class Database(_Section):
    path: Path = Path("../data/archive.sqlite3")


class Cooldown(_Section):
    rate: int = Field(default=1, ge=1)
    per: float = Field(default=10.0, gt=0)


class Discord(_Section):
    moderator_role_ids: tuple[int, ...] = ()
    dev_guild_ids: tuple[int, ...] = ()
    default_timezone: str = "UTC"
    search_cooldown: Cooldown = Cooldown(rate=5, per=30)
    random_cooldown: Cooldown = Cooldown(rate=3, per=30)
    #: Seconds a search result's Previous/Next buttons keep working.
    search_view_timeout: float = Field(default=300.0, gt=0)
    #: Seconds between two looks at the archive schedules.
    schedule_poll_seconds: float = Field(default=30.0, ge=0.5, le=300)
    #: The shortest gap allowed between two scheduled archive posts.
    schedule_min_interval_minutes: int = Field(default=60, ge=1, le=10080)

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)"
            ) from None
        return name


class Settings(_Section):
    newsletter: Newsletter
    content: Content = Content()
    database: Database = Database()
    discord: Discord = Discord()
    #: The file these settings came from; relative paths in it resolve against its folder.
    source: Annotated[Path, Field(exclude=True)] = Path("config.yaml")

    @property
    def content_folder(self) -> Path:
        return (self.source.parent / self.content.folder).resolve()

    @property
    def database_path(self) -> Path:
        return (self.source.parent / self.database.path).resolve()


def _describe(error: ValidationError, path: Path) -> str:
    lines = [f"{path}: invalid config:"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling and indentation)"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate a config file; raise ``ConfigError`` naming the file and key at fault."""
    path = (path or DEFAULT_CONFIG_PATH).resolve()
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config PATH)") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    if "token" in raw or "token" in (raw.get("discord") or {}):
        raise ConfigError(
            f"{path}: remove the token from the config file; set DISCORD_TOKEN in the "
            "environment or in a .env file instead"
        )
    try:
        return Settings.model_validate({**raw, "source": path})
    except ValidationError as error:
        raise ConfigError(_describe(error, path)) from None
