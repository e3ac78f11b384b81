"""What the bot asks of Discord, in one place: the permissions each feature needs (the invite
link, the log line at start and the docs all come from ``needed``), the gateway intents, and
the permissions a role members take with ``/subscribe`` may carry.

Plain bit flags, as Discord numbers them, so that the console prints an invite without
importing discord.py or connecting (``tests/unit/test_permissions.py`` checks every bit against
discord.py's).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlencode

#: Discord's permission bits, named as its Developer Portal and server settings name them.
CREATE_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_SERVER = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
PRIORITY_SPEAKER = 1 << 8
VIDEO = 1 << 9
VIEW_CHANNELS = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
USE_VOICE_ACTIVITY = 1 << 25
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
REQUEST_TO_SPEAK = 1 << 32
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
USE_EXTERNAL_STICKERS = 1 << 37
SEND_MESSAGES_IN_THREADS = 1 << 38
USE_ACTIVITIES = 1 << 39
USE_SOUNDBOARD = 1 << 42
USE_EXTERNAL_SOUNDS = 1 << 45
SEND_VOICE_MESSAGES = 1 << 46
CREATE_POLLS = 1 << 49
USE_EXTERNAL_APPS = 1 << 50

#: What a role members give themselves with ``/subscribe`` may grant: what any member of a
#: community usually has (read, chat, react, talk, use apps). Anything else (Administrator,
#: every Manage permission, Kick, Ban, Timeout, Mention Everyone, the audit log, TTS…) would
#: hand that power to whoever types ``/subscribe``, so such a role is refused.
SUBSCRIPTION_ROLE_ALLOWED = (
    CREATE_INVITE | ADD_REACTIONS | VIDEO | VIEW_CHANNELS | SEND_MESSAGES | EMBED_LINKS
    | ATTACH_FILES | READ_MESSAGE_HISTORY | USE_EXTERNAL_EMOJIS | CONNECT | SPEAK
    | USE_VOICE_ACTIVITY | CHANGE_NICKNAME | USE_APPLICATION_COMMANDS | REQUEST_TO_SPEAK
    | CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | USE_EXTERNAL_STICKERS
    | SEND_MESSAGES_IN_THREADS | USE_ACTIVITIES | USE_SOUNDBOARD | USE_EXTERNAL_SOUNDS
    | SEND_VOICE_MESSAGES | CREATE_POLLS | USE_EXTERNAL_APPS
)  # fmt: skip

#: Every permission's name as Discord's server settings show it, by bit.
NAMES = {
    0: "Create Invite", 1: "Kick Members", 2: "Ban Members", 3: "Administrator",
    4: "Manage Channels", 5: "Manage Server", 6: "Add Reactions", 7: "View Audit Log",
    8: "Priority Speaker", 9: "Video", 10: "View Channels", 11: "Send Messages",
    12: "Send Text-to-Speech Messages", 13: "Manage Messages", 14: "Embed Links",
    15: "Attach Files", 16: "Read Message History", 17: "Mention @everyone, @here and All Roles",
    18: "Use External Emoji", 19: "View Server Insights", 20: "Connect", 21: "Speak",
    22: "Mute Members", 23: "Deafen Members", 24: "Move Members", 25: "Use Voice Activity",
    26: "Change Nickname", 27: "Manage Nicknames", 28: "Manage Roles", 29: "Manage Webhooks",
    30: "Manage Expressions", 31: "Use Application Commands", 32: "Request to Speak",
    33: "Manage Events", 34: "Manage Threads", 35: "Create Public Threads",
    36: "Create Private Threads", 37: "Use External Stickers", 38: "Send Messages in Threads",
    39: "Use Activities", 40: "Timeout Members", 41: "View Creator Monetization Analytics",
    42: "Use Soundboard", 43: "Create Expressions", 44: "Create Events",
    45: "Use External Sounds", 46: "Send Voice Messages", 48: "Set Voice Channel Status",
    49: "Create Polls", 50: "Use External Apps", 51: "Pin Messages", 52: "Bypass Slowmode",
}  # fmt: skip


def names_of(value: int) -> list[str]:
    """The names of the permissions set in ``value``, lowest bit first."""
    return [
        NAMES.get(bit, f"permission bit {bit}")
        for bit in range(value.bit_length())
        if value >> bit & 1
    ]


def beyond_subscription(value: int) -> list[str]:
    """The permissions in ``value`` a role members take with /subscribe must not grant."""
    return names_of(value & ~SUBSCRIPTION_ROLE_ALLOWED)


#: The gateway intents the bot asks for: Guilds (1 << 0) alone. Channels, roles and the bot's
#: own member come with it; the members who use a command come with the interaction, so no
#: privileged intent (Server Members, Presence, Message Content) is needed.
INTENTS = 1 << 0


@dataclass(frozen=True)
class Need:
    """One permission the bot asks for, and the feature that needs it."""

    name: str
    bit: int
    why: str


#: What every server needs: the bot posts scheduled archive picks and announcements in the
#: channels moderators choose (slash command replies need no permission at all).
POSTING = (
    Need("View Channels", VIEW_CHANNELS, "see the channels moderators choose for posts"),
    Need("Send Messages", SEND_MESSAGES, "post archive picks and new-issue announcements"),
    Need("Embed Links", EMBED_LINKS, "show each post as a card (an embed)"),
    Need(
        "Send Messages in Threads",
        SEND_MESSAGES_IN_THREADS,
        "post when the chosen channel is a thread or a forum post",
    ),
    Need(
        "Create Public Threads",
        CREATE_PUBLIC_THREADS,
        "open a post in a forum channel, or a thread under a post",
    ),
)
#: Only when members may take the announcement role themselves (``discord.role_subscriptions``).
SUBSCRIPTIONS = Need(
    "Manage Roles", MANAGE_ROLES, "give and take the announcement role with /subscribe"
)


def needed(role_subscriptions: bool) -> tuple[Need, ...]:
    """The permissions the enabled features need, in the order the docs list them."""
    return POSTING + ((SUBSCRIPTIONS,) if role_subscriptions else ())


def permission_value(needs: tuple[Need, ...]) -> int:
    """The permissions integer of ``needs``, as the invite link carries it."""
    value = 0
    for need in needs:
        value |= need.bit
    return value


def invite_url(application_id: int, permissions: int) -> str:
    """The link that adds the bot to a server with its slash commands and ``permissions``."""
    query = urlencode(  # a space becomes "+", as Discord writes the scopes
        {
            "client_id": application_id,
            "scope": "bot applications.commands",
            "permissions": permissions,
        }
    )
    return f"https://discord.com/oauth2/authorize?{query}"


def application_id_from_token(token: str) -> int | None:
    """The bot's user id, read from its token; None when the token does not start with one.

    A bot token is three dot-separated parts, and the first is the bot user's id in base64
    (unpadded). For all but some very old applications the bot user's id is the application's
    id, the ``client_id`` an invite needs; for one whose ids differ, give ``--application-id``
    (Developer Portal → General Information → Application ID).
    """
    first = token.strip().split(".", 1)[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() and 0 < len(decoded) <= 20 else None
