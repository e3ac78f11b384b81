"""Settings from ``config/config.yaml``, validated at start with errors that name key and file.

Any key can be overridden from the environment: ``ARCHIVE_BOT__`` then the key's path in upper
case with ``__`` between the parts (``ARCHIVE_BOT__DATABASE__PATH=/data/archive.sqlite3``,
``ARCHIVE_BOT__DISCORD__DEV_GUILD_IDS='[1,2]'``; lists and mappings as JSON). A ``.env`` file in
the working directory is read into the environment first (variables already set win).

The Discord token is never read from YAML: it comes from the ``DISCORD_TOKEN`` environment
variable (or the ``.env``) and is kept out of every log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dotenv import load_dotenv
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError

from bot.content.assemble import Rules
from bot.content.issue_meta import Cadence, DateAnchor
from bot.content.links import check_template
from bot.content.models import DEFAULT_NEWSLETTER_ID
from bot.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "config.yaml"
#: The environment variable that names the config file (``--config`` wins over it).
CONFIG_VARIABLE = "ARCHIVE_BOT_CONFIG"
#: Environment variables that override config keys start with this.
ENV_PREFIX = "ARCHIVE_BOT__"
#: Where the ``.env`` file is read from: the working directory only, never a parent folder.
ENV_FILE = Path(".env")
#: The id of the newsletter of the single ``newsletter:`` form when it names none.
#: A newsletter id: short, stable, lower case (it is stored with every issue).
NEWSLETTER_ID = r"^[a-z0-9][a-z0-9_-]{0,31}$"


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


class NewsletterSection(_Section):
    """How a newsletter is shown and dated (``newsletter:``, or each entry of ``newsletters:``)."""

    #: Short and stable: stored with every issue, schedule and pick.
    id: str | None = Field(default=None, pattern=NEWSLETTER_ID)
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
    #: The web address of an issue whose file states none, e.g.
    #: ``https://example.org/issues/{number}`` (fields: ``bot.content.links.FIELDS``).
    issue_url: str | None = None

    @field_validator("issue_url")
    @classmethod
    def _template(cls, template: str | None) -> str | None:
        return check_template(template) if template is not None else None

    @property
    def colour_value(self) -> int:
        return int(self.colour[1:], 16)


class _FeedSettings(_Section):
    #: RSS or Atom feeds whose new entries become issue files in the content folder.
    feeds: tuple[
        Annotated[str, Field(pattern=r"^https?://\S+$", description="http(s) URL")], ...
    ] = ()
    #: Minutes between two polls of each feed (longer after errors).
    feed_poll_minutes: float = Field(default=60.0, gt=0, le=10080)
    #: The most new entries one poll of a feed writes (or holds); the rest wait for the next.
    feed_max_new_entries: int = Field(default=20, ge=1, le=1000)


class Content(_FeedSettings):
    folder: Path = Path("../seeds")
    parser: ParserRules = ParserRules()


class NewsletterEntry(NewsletterSection, _FeedSettings):
    """One newsletter served: its settings, its content folder, its parser rules and its feeds."""

    id: str = Field(pattern=NEWSLETTER_ID)
    folder: Path
    parser: ParserRules = ParserRules()


class Database(_Section):
    path: Path = Path("../data/archive.sqlite3")


class Network(_Section):
    """What the bot may fetch (imports, feeds): every request goes through bot/fetch.py."""

    #: Fetch from loopback, private and link-local addresses too (off: a member could make
    #: the host fetch its own services). For self-hosters whose feeds live on their network.
    allow_private_hosts: bool = False
    #: The largest feed body, as received and once decompressed, in MB.
    feed_max_mb: float = Field(default=5.0, gt=0, le=100)
    feed_max_decompressed_mb: float = Field(default=20.0, gt=0, le=500)

    @property
    def feed_max_bytes(self) -> int:
        return int(self.feed_max_mb * 1024 * 1024)

    @property
    def feed_max_decompressed_bytes(self) -> int:
        return int(self.feed_max_decompressed_mb * 1024 * 1024)


class Health(_Section):
    """The optional HTTP health endpoint (``GET /health``): 200 while connected to Discord,
    503 otherwise, from the same heartbeat as ``python -m bot status``."""

    #: The port it listens on; None (the default): no endpoint.
    port: int | None = Field(default=None, ge=1, le=65535)
    #: The address it listens on (the container image sets 0.0.0.0).
    host: str = "127.0.0.1"


class LinksSection(_Section):
    """The link checker (bot/archive/links.py): each resource link is requested now and then,
    politely, and only its status is kept."""

    #: Check links in the background while the bot runs (``python -m bot links check`` runs a
    #: pass from the console whatever this says).
    check: bool = True
    #: Requests per second, every host together.
    requests_per_second: float = Field(default=1.0, gt=0, le=50)
    #: The shortest time between two requests to one host (one at a time per host anyway).
    per_host_interval_seconds: float = Field(default=5.0, ge=0, le=3600)
    #: Days between two checks of a link that works (failing links are checked sooner).
    recheck_days: float = Field(default=30.0, gt=0, le=365)
    #: Failed checks in a row (spread over time) before a gone page counts as dead.
    dead_after_checks: int = Field(default=2, ge=1, le=20)
    #: Request loopback, private and link-local addresses too (off: links to them are never
    #: requested, however written, after every redirect).
    allow_private_hosts: bool = False


class Cooldown(_Section):
    """``rate`` uses per member every ``per`` seconds. Bounded so that a slip (a rate of
    100000, a period of a year) can't switch the limit off or lock members out for good."""

    rate: int = Field(default=1, ge=1, le=100)
    per: float = Field(default=10.0, gt=0, le=86400)


class Discord(_Section):
    moderator_role_ids: tuple[int, ...] = ()
    dev_guild_ids: tuple[int, ...] = ()
    default_timezone: str = "UTC"
    search_cooldown: Cooldown = Cooldown(rate=5, per=30)
    random_cooldown: Cooldown = Cooldown(rate=3, per=30)
    #: Seconds a search result's Previous/Next buttons keep working.
    search_view_timeout: float = Field(default=300.0, gt=0)
    #: Seconds between two passes of every background loop (due schedules, announcements,
    #: feeds); a load that adds issues wakes the announcer at once.
    background_poll_seconds: float = Field(default=30.0, ge=0.5, le=300)
    #: The shortest gap allowed between two scheduled archive posts.
    schedule_min_interval_minutes: int = Field(default=60, ge=1, le=10080)
    #: Tries to reach Discord at start before giving up, and the first wait between them
    #: (doubled after each failed try).
    connect_attempts: int = Field(default=5, ge=1, le=20)
    connect_backoff_seconds: float = Field(default=2.0, gt=0, le=60)
    #: Members may take the announcement role themselves with /subscribe; the bot then needs
    #: Manage Roles (the invite asks for it only when this is on).
    role_subscriptions: bool = True

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        """Read ``schedule_poll_seconds`` (its name before it paced every background loop)."""
        if isinstance(data, dict) and "schedule_poll_seconds" in data:
            data = dict(data)
            value = data.pop("schedule_poll_seconds")
            data.setdefault("background_poll_seconds", value)
            log.warning(
                "discord.schedule_poll_seconds is now discord.background_poll_seconds: "
                "rename it in the config"
            )
        return data

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
    #: One newsletter (with ``content``), or ``newsletters``: a list of them.
    newsletter: NewsletterSection | None = None
    content: Content = Content()
    newsletters: tuple[NewsletterEntry, ...] = ()
    database: Database = Database()
    discord: Discord = Discord()
    network: Network = Network()
    health: Health = Health()
    links: LinksSection = LinksSection()
    #: The file these settings came from; relative paths in it resolve against its folder.
    source: Annotated[Path, Field(exclude=True)] = Path("config.yaml")

    @model_validator(mode="after")
    def _one_form(self) -> Settings:
        if self.newsletter is None and not self.newsletters:
            raise ValueError("newsletter: Field required (or newsletters: a list of them)")
        if self.newsletter is not None and self.newsletters:
            raise ValueError("give newsletter: (with content:) or newsletters:, not both")
        ids = [entry.id for entry in self.newsletters]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"newsletters[{twice[0]}].id: {twice[0]!r} is used more than once")
        return self

    @property
    def entries(self) -> tuple[NewsletterEntry, ...]:
        """Every newsletter entry, in config order (the ``newsletter:`` form is one)."""
        if self.newsletters:
            return self.newsletters
        assert self.newsletter is not None  # _one_form
        single = self.newsletter.model_dump(exclude={"id"}, exclude_unset=True)
        return (
            NewsletterEntry(
                **single,
                id=self.newsletter.id or DEFAULT_NEWSLETTER_ID,
                folder=self.content.folder,
                parser=self.content.parser,
                feeds=self.content.feeds,
                feed_poll_minutes=self.content.feed_poll_minutes,
                feed_max_new_entries=self.content.feed_max_new_entries,
            ),
        )

    def folder_of(self, entry: NewsletterEntry) -> Path:
        """A newsletter's content folder, resolved against the config file's folder."""
        return (self.source.parent / entry.folder).resolve()

    @cached_property
    def served(self) -> tuple[Newsletter, ...]:
        """Every newsletter the bot serves, in config order, built once."""
        return tuple(Newsletter.of(entry, self.folder_of(entry)) for entry in self.entries)

    def served_newsletter(
        self, newsletter_id: str | None = None, folder: Path | None = None
    ) -> Newsletter:
        """The served newsletter ``newsletter_id`` (default: the first), read from ``folder``
        instead of its own when given; ``KeyError`` for an unknown id.

        A ``folder`` given without an id is read as the newsletter whose folder it is; a
        folder no newsletter is configured for takes the first one's parser rules but not its
        calendar (cadence, dated issue): dates come from that folder alone."""
        by_id = {newsletter.id: newsletter for newsletter in self.served}
        if folder is None:
            return by_id[newsletter_id] if newsletter_id is not None else self.served[0]
        if newsletter_id is not None:
            return replace(by_id[newsletter_id], folder=folder.resolve())
        for newsletter in self.served:
            if newsletter.folder == folder.resolve():
                return newsletter
        return replace(self.served[0], folder=folder.resolve(), cadence=None, date_anchor=None)

    @property
    def content_folder(self) -> Path:
        """The first newsletter's content folder."""
        return self.served[0].folder

    @property
    def database_path(self) -> Path:
        return (self.source.parent / self.database.path).resolve()


@dataclass(frozen=True)
class Newsletter:
    """One newsletter the bot serves: where its issues are, how to read and date them, how
    to show them. Built once from the config (``Settings.served``); everything else takes it."""

    id: str = DEFAULT_NEWSLETTER_ID
    name: str = "Newsletter"
    folder: Path = Path()
    #: What the parser needs to know of its pages (picklable: parse workers get it).
    rules: Rules = field(default_factory=Rules.compile)
    #: Its own cadence and dated issue, when its config states them: never a default, which
    #: would date another newsletter's issues by this one's calendar.
    cadence: Cadence | None = None
    date_anchor: DateAnchor | None = None
    #: The web address of an issue whose file states none (``{number}`` filled in).
    issue_url: str | None = None
    #: RSS or Atom feeds whose new entries are written into ``folder`` as issue files.
    feeds: tuple[str, ...] = ()
    feed_poll: dt.timedelta = dt.timedelta(hours=1)
    #: The most new entries one poll of one feed writes or holds.
    feed_max_new_entries: int = 20
    author: str | None = None
    url: str | None = None
    colour: int = 0x5865F2
    icon_url: str | None = None

    @classmethod
    def of(cls, entry: NewsletterEntry, folder: Path) -> Newsletter:
        parser = entry.parser
        return cls(
            id=entry.id,
            name=entry.name,
            folder=folder.resolve(),
            rules=Rules.compile(
                parser.section_headings,
                parser.boilerplate,
                parser.end_markers,
                parser.caption_markers,
            ),
            cadence=_cadence(entry),
            date_anchor=_anchor(entry),
            issue_url=entry.issue_url,
            feeds=entry.feeds,
            feed_poll=dt.timedelta(minutes=entry.feed_poll_minutes),
            feed_max_new_entries=entry.feed_max_new_entries,
            author=entry.author,
            url=entry.url,
            colour=entry.colour_value,
            icon_url=entry.icon_url,
        )


def _cadence(entry: NewsletterEntry) -> Cadence | None:
    """The cadence the newsletter's config states, if it states one."""
    if entry.cadence is not None:
        return Cadence.parse(entry.cadence)
    if "cadence_months" in entry.model_fields_set:
        return Cadence(entry.cadence_months, "month")
    return None


def _anchor(entry: NewsletterEntry) -> DateAnchor | None:
    setting = entry.date_anchor
    if setting is None:
        return None
    year, month = map(int, setting.date.split("-"))
    return DateAnchor(setting.number, year, month)


def _env_name(loc: tuple[int | str, ...], overridden: set[str]) -> str | None:
    """The environment variable that set the key at ``loc`` (or one of its parents), if any."""
    for end in range(len(loc), 0, -1):
        name = ENV_PREFIX + "__".join(str(part) for part in loc[:end]).upper()
        if name in overridden:
            return name
    return None


def _key(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """A key's path as the user wrote it; an entry of ``newsletters`` named by its id."""
    parts = [str(part) for part in loc]
    entries = raw.get("newsletters")
    if len(loc) > 1 and loc[0] == "newsletters" and isinstance(loc[1], int):
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        parts[:2] = [f"newsletters[{name if name is not None else loc[1]}]"]
    return ".".join(parts) or "(top level)"


def _describe(error: ValidationError, path: Path, overridden: set[str], raw: dict[str, Any]) -> str:
    lines = [f"{path}: invalid config:"]
    for item in error.errors():
        key = _key(item["loc"], raw)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling and indentation)"
        variable = _env_name(item["loc"], overridden)
        lines.append(f"  {key}: {message}" + (f" (set by {variable})" if variable else ""))
    return "\n".join(lines)


def _read(path: Path) -> Any:
    """The config file's YAML; every way reading it can fail is a ``ConfigError``."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config PATH)") from None
    except IsADirectoryError:
        raise ConfigError(
            f"{path}: is a folder, not a config file (pass --config PATH/config.yaml)"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"{path}: cannot read the config file: permission denied "
            "(let the user running the bot read it, e.g. chmod a+r)"
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: the config file is not UTF-8 text (byte {error.start}): save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None


def _env_overrides(path: Path) -> tuple[dict[str, Any], set[str]]:
    """Config keys set in the environment, as nested mappings, and the variables that set them."""
    variables = {name.upper() for name in os.environ if name.upper().startswith(ENV_PREFIX)}
    # The source reads only the model's fields, which a plain model has as well.
    source = EnvSettingsSource(
        cast("type[BaseSettings]", Settings),
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
    )
    try:
        values = source()
    except SettingsError as error:
        raise ConfigError(
            f"{path}: invalid config: {error.__cause__ or error} in "
            f"{', '.join(sorted(variables))} (lists and mappings are JSON, e.g. '[1,2]')"
        ) from None
    values.pop("source", None)  # where the file is, not a setting
    return values, variables


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_database_path(settings: Settings, path: Path) -> None:
    """A ``database.path`` that can never hold the database is a config error, named as such."""
    database = settings.database_path
    fix = "set database.path (or ARCHIVE_BOT__DATABASE__PATH) to a file in a writable folder"
    try:
        is_folder = database.is_dir()
        existing = database.parent
        while not existing.exists():
            existing = existing.parent
    except PermissionError as error:
        raise ConfigError(
            f"{path}: database.path: cannot look into {error.filename} (permission denied): {fix}"
        ) from None
    if is_folder:
        raise ConfigError(f"{path}: database.path: {database} is a folder, not a file: {fix}")
    if not existing.is_dir():
        raise ConfigError(
            f"{path}: database.path: cannot create the folder {database.parent}, "
            f"because {existing} is a file: {fix}"
        )
    if existing != database.parent and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{path}: database.path: cannot create the folder {database.parent} "
            f"in {existing} (permission denied): {fix}"
        )


def _load_env_file() -> None:
    """Read ``.env`` from the working directory into the environment (a missing file is fine;
    variables already set win)."""
    where = ENV_FILE.resolve()
    try:
        load_dotenv(ENV_FILE)
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: the .env file is not UTF-8 text: save it as UTF-8") from None
    except OSError as error:
        raise ConfigError(
            f"{where}: cannot read the .env file: {error.strerror} "
            "(make it a readable file, or remove it and set the variables in the environment)"
        ) from None


def find_config() -> Path:
    """The config file when none is given: ``ARCHIVE_BOT_CONFIG``, else ``config/config.yaml``
    or ``config.yaml`` in the working directory, else the source checkout's own (an installed
    copy has none); ``ConfigError`` naming every place looked at."""
    named = os.environ.get(CONFIG_VARIABLE, "").strip()
    if named:
        return Path(named)
    places = [Path("config/config.yaml"), Path("config.yaml"), DEFAULT_CONFIG_PATH]
    for place in places:
        if place.is_file():
            return place
    looked = ", ".join(str(place.resolve()) for place in places)
    raise ConfigError(
        f"no config file found (looked at {looked}): pass --config PATH or set "
        f"{CONFIG_VARIABLE}; config/config.yaml in the source is a starting point"
    )


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate a config file (``find_config`` when none is given), with overrides
    from the environment and ``.env``; raise ``ConfigError`` naming the file and key at fault."""
    _load_env_file()
    path = (path or find_config()).resolve()
    raw = _read(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    if "token" in raw or "token" in (raw.get("discord") or {}):
        raise ConfigError(
            f"{path}: remove the token from the config file; set DISCORD_TOKEN in the "
            "environment or in a .env file instead"
        )
    overrides, variables = _env_overrides(path)
    try:
        settings = Settings.model_validate({**_merge(raw, overrides), "source": path})
    except ValidationError as error:
        raise ConfigError(_describe(error, path, variables, _merge(raw, overrides))) from None
    _check_database_path(settings, path)
    return settings
