"""The one family of errors a user should see: each message names the problem and the fix.

Every entry point (the console, the bot's start-up, the command tree's error handler) catches
``ArchiveBotError`` once, prints or sends its message, and exits with its ``exit_code``.
Anything else is a bug: it is logged with a traceback and an error id.

Exit codes: 0 done; 1 the command could not do what was asked (content that does not load,
an issue that does not exist); 2 configuration (config file, token); 3 the database cannot be
used; 4 Discord cannot be reached or refused the bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.content.models import Problem

__all__ = [
    "ArchiveBotError",
    "ChannelUnavailable",
    "ConfigError",
    "ContentError",
    "DatabaseError",
    "DiscordUnavailable",
    "FetchRefused",
    "PostUncertain",
    "ScheduleError",
    "SchemaError",
    "UnknownNewsletter",
]


class ArchiveBotError(Exception):
    """Base of every error whose message is meant for the person running the bot."""

    exit_code = 1


class ConfigError(ArchiveBotError):
    """A config file that cannot be used; the message names the file and the key."""

    exit_code = 2


class UnknownNewsletter(ArchiveBotError):
    """A ``newsletter`` option or ``--newsletter`` that names none of those served."""

    exit_code = 2


class ContentError(ArchiveBotError):
    """Content that cannot be loaded; ``problems`` names every file and line at fault."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in problems))


class DatabaseError(ArchiveBotError):
    """The database file cannot be opened, read or written; the message says how to fix it."""

    exit_code = 3


class SchemaError(DatabaseError):
    """The database was written by a newer version of the bot, or its schema is damaged."""


class DiscordUnavailable(ArchiveBotError):
    """Discord refused the bot or could not be reached; the message says what to check."""

    exit_code = 4


class ScheduleError(ArchiveBotError, ValueError):
    """A schedule that cannot be used; the message says what to write instead."""


class ChannelUnavailable(ArchiveBotError):
    """A channel the bot can no longer post to; what posts there is disabled with the reason."""


#: Why the fetch guard (bot/fetch.py) refused: the URL's scheme, an address that is not public,
#: too many redirects, a body past its cap, a time limit, or the request failing.
FetchRule = Literal["scheme", "address", "redirects", "size", "timeout", "failed"]

_RULES: dict[str, str] = {
    "scheme": "only http and https addresses are fetched, not {detail}",
    "address": "its host is not a public address ({detail}); set allow_private_hosts to "
    "fetch from your own network",
    "redirects": "more than {detail} redirects",
    "size": "the body is too large ({detail})",
    "timeout": "no complete answer within {detail} seconds",
    "failed": "{detail}",
}


class FetchRefused(ArchiveBotError):
    """An outbound fetch the guard refused; ``rule`` says which rule, ``detail`` names what
    (the address and its class, the limit…), ``url`` what was asked for (or redirected to)."""

    def __init__(self, rule: FetchRule, detail: str, url: str) -> None:
        self.rule: FetchRule = rule
        self.detail = detail
        self.url = url
        super().__init__(f"{url}: refused: " + _RULES[rule].format(detail=detail))


class PostUncertain(ArchiveBotError):
    """A post whose fate is unknown (the connection failed, or Discord failed, after it was
    sent): its claim stays and it is sent again with the same nonce."""
