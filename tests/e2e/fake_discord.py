"""A small local stand-in for Discord: the REST routes and the gateway a bot uses.

It serves one guild with a few channels, members and roles, records every request the bot
makes, and lets a test drive the bot the way Discord would: send INTERACTION_CREATE over the
gateway, wait for the callback, click buttons, drop the connection. Everything runs on
loopback. It is test code: it speaks just enough of the protocol for discord.py 2.7.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 900_000_000_000_000_001
BOT_ID = APP_ID
GUILD_ID = 800_000_000_000_000_001
CHANNEL_ID = 700_000_000_000_000_001  # where the commands are used
ARCHIVE_CHANNEL_ID = 700_000_000_000_000_002  # where scheduled picks go
NEWS_CHANNEL_ID = 700_000_000_000_000_003  # an announcement (news) channel
FORUM_CHANNEL_ID = 700_000_000_000_000_004  # a forum, with a tag named after the newsletter
QUIET_CHANNEL_ID = 700_000_000_000_000_005  # a text channel where the bot may not open threads
MOD_ROLE_ID = 600_000_000_000_000_001
BOT_ROLE_ID = 600_000_000_000_000_002
NEWS_ROLE_ID = 600_000_000_000_000_003  # the role new issues ping
ADMIN_ROLE_ID = 600_000_000_000_000_004  # a role with Administrator: never handed out
MODERATOR_ID = 500_000_000_000_000_001
MEMBER_ID = 500_000_000_000_000_002
STRANGER_ID = 500_000_000_000_000_003

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11  # in a forum: Create Posts
EMBED_LINKS = 1 << 14
MANAGE_ROLES = 1 << 28
ADMINISTRATOR = 1 << 3
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
VIEW_SEND_EMBED = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
THREADS = CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS
ML_TAG_ID = 400_000_000_000_000_001
OTHER_TAG_ID = 400_000_000_000_000_002
#: Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types).
TEXT, DM, NEWS, NEWS_THREAD, PUBLIC_THREAD, FORUM = 0, 1, 5, 10, 11, 15
REQUIRE_TAG = 1 << 4  # a forum's flag: every post needs a tag
HEARTBEAT_MS = 500  # short: the bot writes its heartbeat file once one is acknowledged
NOW = "2026-01-01T00:00:00+00:00"

BODY = web.RequestKey[Any]("body", object)
DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count()


def snowflake() -> str:
    """An id that, like Discord's, encodes the time it was made (discord.py reads it back)."""
    return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_counter) & 0x3FFFFF))


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot, "public_flags": 0}  # fmt: skip


def member(user_id: int, name: str, roles: list[int]) -> dict[str, Any]:
    return {"user": user(user_id, name, bot=user_id == BOT_ID), "roles": [str(r) for r in roles],
            "joined_at": NOW, "deaf": False, "mute": False, "flags": 0, "nick": None}  # fmt: skip


def _channel(
    channel_id: int,
    name: str,
    position: int,
    kind: int = TEXT,
    overwrites: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {"id": str(channel_id), "type": kind, "guild_id": str(GUILD_ID), "name": name, "position": position,
            "permission_overwrites": overwrites or [], "nsfw": False, "parent_id": None, "topic": None,
            "last_message_id": None, "rate_limit_per_user": 0}  # fmt: skip


def _forum(channel_id: int, name: str, position: int) -> dict[str, Any]:
    tags = [{"id": str(ML_TAG_ID), "name": "Machine Learning Monthly", "moderated": False, "emoji_id": None, "emoji_name": None},
            {"id": str(OTHER_TAG_ID), "name": "Other", "moderated": False, "emoji_id": None, "emoji_name": None}]  # fmt: skip
    return {**_channel(channel_id, name, position, FORUM), "available_tags": tags, "flags": 0,
            "default_auto_archive_duration": 1440, "default_reaction_emoji": None,
            "default_sort_order": None, "default_forum_layout": 0}  # fmt: skip


def _deny(role_id: int, bits: int) -> dict[str, Any]:
    """A channel's permission overwrite taking ``bits`` from a role."""
    return {"id": str(role_id), "type": 0, "allow": "0", "deny": str(bits)}


def _role(
    role_id: int, name: str, permissions: int, position: int, *, mentionable: bool = False
) -> dict[str, Any]:
    return {"id": str(role_id), "name": name, "permissions": str(permissions), "position": position,
            "color": 0, "hoist": False, "managed": False, "mentionable": mentionable, "flags": 0}  # fmt: skip


MEMBERS = {
    MODERATOR_ID: member(MODERATOR_ID, "moderator", [MOD_ROLE_ID]),
    MEMBER_ID: member(MEMBER_ID, "member", []),
    STRANGER_ID: member(STRANGER_ID, "stranger", []),
    BOT_ID: member(BOT_ID, "archive-bot", [BOT_ROLE_ID]),
}


def guild_payload() -> dict[str, Any]:
    return {
        "id": str(GUILD_ID), "name": "Test Server", "icon": None, "owner_id": "1", "unavailable": False,
        "member_count": len(MEMBERS), "large": False, "features": [], "emojis": [], "stickers": [],
        "roles": [
            _role(GUILD_ID, "@everyone", VIEW_SEND_EMBED, 0),
            _role(MOD_ROLE_ID, "Moderators", MANAGE_GUILD | VIEW_SEND_EMBED, 1),
            _role(BOT_ROLE_ID, "Archive Bot", VIEW_SEND_EMBED | MANAGE_ROLES | THREADS, 3),
            _role(NEWS_ROLE_ID, "Newsletter", 0, 2, mentionable=True),
            _role(ADMIN_ROLE_ID, "Admins", ADMINISTRATOR, 1, mentionable=True),
        ],
        "channels": [_channel(CHANNEL_ID, "general", 0), _channel(ARCHIVE_CHANNEL_ID, "from-the-archives", 1),
                     _channel(NEWS_CHANNEL_ID, "new-issues", 2, kind=NEWS), _forum(FORUM_CHANNEL_ID, "discussions", 3),
                     _channel(QUIET_CHANNEL_ID, "quiet", 4, overwrites=[_deny(BOT_ROLE_ID, CREATE_PUBLIC_THREADS)])],
        "members": list(MEMBERS.values()), "threads": [], "voice_states": [], "presences": [],
        "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
        "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0,
        "system_channel_flags": 0, "joined_at": NOW, "afk_timeout": 300,
    }  # fmt: skip


@dataclass
class Request:
    """One REST call the bot made."""

    method: str
    path: str
    body: Any
    at: float = field(default_factory=time.monotonic)


@dataclass
class Interaction:
    """One interaction sent to the bot, and every answer it got."""

    id: str
    token: str
    payload: dict[str, Any]
    sent_at: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    #: The messages the followups became (what a button under one is clicked on).
    followup_messages: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    answered_at: float | None = None

    @property
    def latency(self) -> float:
        assert self.answered_at is not None
        return self.answered_at - self.sent_at

    @property
    def callback(self) -> dict[str, Any]:
        return self.callbacks[0]


class FakeDiscord:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.interactions: dict[str, Interaction] = {}
        #: Every channel the bot can reach: the guild's, then the threads and direct message
        #: channels made since, by id.
        self.channels: dict[int, dict[str, Any]] = {
            int(c["id"]): c for c in guild_payload()["channels"]
        }
        #: The messages in each channel that takes them (a forum takes posts: threads).
        self.channel_messages: dict[int, list[dict[str, Any]]] = {
            channel_id: [] for channel_id, c in self.channels.items() if c["type"] != FORUM
        }
        #: Threads by id, in the order they were made (forum posts included).
        self.threads: dict[int, dict[str, Any]] = {}
        #: Members whose direct messages are closed to the bot (Discord answers 50007).
        self.closed_dms: set[int] = set()
        #: (channel id, nonce) of messages sent with ``enforce_nonce``: their message.
        self._nonces: dict[tuple[int, str], dict[str, Any]] = {}
        #: Messages published from a news channel: (channel id, message id).
        self.crossposts: list[tuple[int, str]] = []
        #: Roles members took or dropped through the bot, on top of those in ``MEMBERS``.
        self.member_roles: dict[int, set[int]] = {}
        #: Files attached to interactions, by attachment id: (name, bytes), served as the CDN.
        self.files: dict[str, tuple[str, bytes]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.command_syncs = 0
        self.identifies = 0
        #: What each IDENTIFY said (the intents asked for, among others).
        self.identify_payloads: list[dict[str, Any]] = []
        self.resumes = 0
        self.sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.ready = asyncio.Event()
        self.message_posted = asyncio.Condition()
        #: Faults a test can turn on: refuse the token at login (401); refuse gateway
        #: connections (503); close the gateway with this code at IDENTIFY (4004 bad token,
        #: 4014 disallowed intents); answer command syncs with this HTTP status.
        self.reject_token = False
        self.refuse_gateway = False
        self.close_code: int | None = None
        self.sync_status: int | None = None
        #: A fault: hold channel posts unanswered until ``release_posts``, as a bot killed in
        #: mid-post sees them: the message is made first with ``hold_made`` (Discord made it,
        #: its answer never came back), never made without; ``held`` is set when one is held.
        self.hold_posts = False
        self.hold_made = False
        self.held = asyncio.Event()
        self._release = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        api = "/api/v10"
        app.router.add_get("/", self._gateway)
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._sync_global)
        app.router.add_put(
            f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._sync_guild
        )
        app.router.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        app.router.add_get(
            f"{api}/webhooks/{{app}}/{{token}}/messages/@original", self._get_original
        )
        app.router.add_patch(
            f"{api}/webhooks/{{app}}/{{token}}/messages/@original", self._edit_original
        )
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._channel_message)
        app.router.add_get(f"{api}/channels/{{channel}}", self._get_channel)
        app.router.add_post(f"{api}/channels/{{channel}}/threads", self._start_thread)
        app.router.add_post(
            f"{api}/channels/{{channel}}/messages/{{message}}/threads", self._thread_on_message
        )
        app.router.add_post(f"{api}/users/@me/channels", self._open_dm)
        app.router.add_post(
            f"{api}/channels/{{channel}}/messages/{{message}}/crosspost", self._crosspost
        )
        app.router.add_get("/attachments/{id}/{name}", self._attachment_file)
        member_role = f"{api}/guilds/{{guild}}/members/{{member}}/roles/{{role}}"
        app.router.add_put(member_role, self._member_role)
        app.router.add_delete(member_role, self._member_role)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- REST --------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # discord.py parses a body as JSON only when Content-Type is exactly application/json.
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": "application/json"},
        )

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = None
        if request.can_read_body:
            body = await request.json()
        if request.path != "/":
            self.requests.append(Request(request.method, request.path, body))
        request[BODY] = body
        result: web.StreamResponse = await handler(request)
        return result

    async def _me(self, _: web.Request) -> web.Response:
        if self.reject_token:
            return self._json({"code": 0, "message": "401: Unauthorized"}, 401)
        return self._json(user(BOT_ID, "archive-bot", bot=True))

    async def _application(self, _: web.Request) -> web.Response:
        return self._json({"id": str(APP_ID), "name": "archive-bot", "description": "", "icon": None,
                           "bot_public": False, "bot_require_code_grant": False, "verify_key": "0" * 64,
                           "owner": user(1, "owner"), "flags": 0})  # fmt: skip

    def _with_ids(
        self, commands: list[dict[str, Any]], guild: str | None = None
    ) -> list[dict[str, Any]]:
        return [{**c, "id": snowflake(), "application_id": str(APP_ID), "version": snowflake(),
                 **({"guild_id": guild} if guild else {})} for c in commands]  # fmt: skip

    def _sync_fault(self) -> web.Response | None:
        if self.sync_status is None:
            return None
        return self._json({"code": 0, "message": "Service Unavailable"}, self.sync_status)

    async def _sync_global(self, request: web.Request) -> web.Response:
        if fault := self._sync_fault():
            return fault
        self.command_syncs += 1
        self.global_commands = self._with_ids(request[BODY])
        return self._json(self.global_commands)

    async def _sync_guild(self, request: web.Request) -> web.Response:
        if fault := self._sync_fault():
            return fault
        self.command_syncs += 1
        return self._json(self._with_ids(request[BODY], request.match_info["guild"]))

    def _message(
        self, channel_id: int, body: dict[str, Any], *, interaction: Interaction | None = None
    ) -> dict[str, Any]:
        message = {
            "id": snowflake(), "channel_id": str(channel_id), "guild_id": str(GUILD_ID), "type": 0 if interaction is None else 20,
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "author": user(BOT_ID, "archive-bot", bot=True),
            "attachments": [], "mentions": [], "mention_roles": [], "mention_everyone": False, "pinned": False,
            "tts": False, "timestamp": dt.datetime.now(dt.UTC).isoformat(), "edited_timestamp": None,
            "flags": body.get("flags") or 0, "application_id": str(APP_ID),
        }  # fmt: skip
        if interaction is not None:
            message["webhook_id"] = str(APP_ID)
        return message

    async def _attachment_file(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["id"])
        if found is None or found[0] != request.match_info["name"]:
            return web.Response(status=404)
        return web.Response(body=found[1], content_type="application/octet-stream")

    def _interaction(self, request: web.Request) -> Interaction:
        token = request.match_info["token"]
        return next(i for i in self.interactions.values() if i.token == token)

    def _answered(self, interaction: Interaction) -> None:
        if interaction.answered_at is None:
            interaction.answered_at = time.monotonic()
        interaction.answered.set()

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        body = request[BODY]
        interaction.callbacks.append(body)
        self._answered(interaction)
        kind = body["type"]
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):  # a message, or "thinking…" that a followup completes
            interaction.original = self._message(CHANNEL_ID, data, interaction=interaction)
            resource["message"] = interaction.original
        elif kind == 7 and interaction.payload.get("message"):  # a component edits its message
            interaction.original = {**interaction.payload["message"], **data}
            resource["message"] = interaction.original
        ephemeral = bool((data.get("flags") or 0) & 64)
        return self._json({
            "interaction": {"id": interaction.id, "type": interaction.payload["type"],
                            "response_message_id": interaction.original["id"] if interaction.original else None,
                            "response_message_loading": kind == 5, "response_message_ephemeral": ephemeral},
            "resource": resource,
        })  # fmt: skip

    async def _get_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction.original is None:
            return self._json({"code": 10008, "message": "Unknown Message"}, 404)
        return self._json(interaction.original)

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        interaction.edits.append(request[BODY])
        base = interaction.original or self._message(CHANNEL_ID, {}, interaction=interaction)
        interaction.original = {**base, **request[BODY]}
        return self._json(interaction.original)

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        interaction.followups.append(request[BODY])
        sent = self._message(CHANNEL_ID, request[BODY], interaction=interaction)
        interaction.followup_messages.append(sent)
        self._answered(interaction)
        return self._json(sent)

    @staticmethod
    def _error(code: int, message: str, status: int) -> web.Response:
        return FakeDiscord._json({"code": code, "message": message}, status)

    def permissions(self, channel_id: int) -> int:
        """The bot's permissions in a guild channel (a thread: its parent's), as Discord
        computes them: its roles, then the channel's overwrites for @everyone, its roles and
        itself."""
        channel = self.channels[channel_id]
        if channel["type"] in (NEWS_THREAD, PUBLIC_THREAD):
            channel = self.channels[int(channel["parent_id"])]
        roles = {r["id"]: int(r["permissions"]) for r in guild_payload()["roles"]}
        mine = [str(GUILD_ID), *MEMBERS[BOT_ID]["roles"]]
        allowed = 0
        for role in mine:
            allowed |= roles.get(role, 0)
        if allowed & ADMINISTRATOR:
            return -1
        overwrites = {
            o["id"]: (int(o["allow"]), int(o["deny"])) for o in channel["permission_overwrites"]
        }
        allow, deny = overwrites.get(str(GUILD_ID), (0, 0))
        allowed = (allowed & ~deny) | allow
        allow = deny = 0
        for role in MEMBERS[BOT_ID]["roles"]:
            role_allow, role_deny = overwrites.get(role, (0, 0))
            allow, deny = allow | role_allow, deny | role_deny
        allowed = (allowed & ~deny) | allow
        allow, deny = overwrites.get(str(BOT_ID), (0, 0))
        return (allowed & ~deny) | allow

    def _refusal(self, channel_id: int, *needed: int) -> web.Response | None:
        """Discord's answer when the bot lacks one of ``needed`` in a guild channel: 50001
        without View Channel, 50013 for any other."""
        have = self.permissions(channel_id)
        if not have & VIEW_CHANNEL:
            return self._error(50001, "Missing Access", 403)
        if any(not have & bit for bit in needed):
            return self._error(50013, "Missing Permissions", 403)
        return None

    async def _post(self, channel_id: int, message: dict[str, Any]) -> None:
        async with self.message_posted:
            self.channel_messages.setdefault(channel_id, []).append(message)
            self.message_posted.notify_all()

    async def _channel_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        channel = self.channels.get(channel_id)
        if channel is None or channel_id not in self.channel_messages:
            if channel is not None and channel["type"] == FORUM:
                return self._error(50008, "Cannot send messages in a non-text channel", 400)
            return self._error(10003, "Unknown Channel", 404)
        body = request[BODY]
        if channel["type"] == DM:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.closed_dms:
                return self._error(50007, "Cannot send messages to this user", 403)
        else:
            in_thread = channel["type"] in (NEWS_THREAD, PUBLIC_THREAD)
            refused = self._refusal(
                channel_id, SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES
            )
            if refused is not None:
                return refused
            if not self.permissions(channel_id) & EMBED_LINKS:
                body = {**body, "embeds": []}  # Discord drops them without a word
        nonce = (channel_id, str(body["nonce"])) if body.get("enforce_nonce") else None
        if nonce is not None and nonce in self._nonces:
            return self._json(self._nonces[nonce])  # the first message, not a second one
        if self.hold_posts and not self.hold_made:  # never reaches "Discord": nothing made
            await self._hold()
            return self._error(0, "held", 503)
        message = self._message(channel_id, body)
        message["request"] = request[BODY]
        if nonce is not None:
            self._nonces[nonce] = message
        await self._post(channel_id, message)
        if self.hold_posts:
            await self._hold()
        return self._json(message)

    async def _hold(self) -> None:
        self.held.set()
        await self._release.wait()

    def release_posts(self) -> None:
        """End the hold: posts held answer (to nobody, when the bot was killed) and the next
        ones are made at once."""
        self.hold_posts = self.hold_made = False
        self._release.set()
        self._release = asyncio.Event()
        self.held.clear()

    def _new_thread(
        self, parent: dict[str, Any], name: str, kind: int, tags: list[str]
    ) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).isoformat()
        return {"id": snowflake(), "type": kind, "guild_id": str(GUILD_ID), "parent_id": parent["id"],
                "owner_id": str(BOT_ID), "name": name, "last_message_id": None, "rate_limit_per_user": 0,
                "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0, "applied_tags": tags,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": now,
                                    "locked": False, "create_timestamp": now}}  # fmt: skip

    async def _opened(self, thread: dict[str, Any]) -> None:
        """Keep a new thread, and tell the bot as Discord does (THREAD_CREATE)."""
        self.threads[int(thread["id"])] = thread
        self.channels[int(thread["id"])] = thread
        self.channel_messages.setdefault(int(thread["id"]), [])
        if self.sockets:
            await self._dispatch(
                self.sockets[-1], "THREAD_CREATE", {**thread, "newly_created": True}
            )

    @staticmethod
    def _bad_name(name: Any) -> web.Response | None:
        if isinstance(name, str) and 1 <= len(name) <= 100:
            return None
        return FakeDiscord._error(50035, "Invalid Form Body (name: 1 to 100 characters)", 400)

    async def _start_thread(self, request: web.Request) -> web.Response:
        """A forum post (a thread with its first message), or a thread without a message."""
        channel = self.channels.get(int(request.match_info["channel"]))
        if channel is None:
            return self._error(10003, "Unknown Channel", 404)
        body = request[BODY]
        if bad := self._bad_name(body.get("name")):
            return bad
        if channel["type"] != FORUM:
            if channel["type"] not in (TEXT, NEWS):
                return self._error(50024, "Cannot execute action on this channel type", 400)
            refused = self._refusal(int(channel["id"]), CREATE_PUBLIC_THREADS)
            if refused is not None:
                return refused
            kind = NEWS_THREAD if channel["type"] == NEWS else PUBLIC_THREAD
            thread = self._new_thread(channel, body["name"], kind, [])
            await self._opened(thread)
            return self._json(thread, 201)
        refused = self._refusal(int(channel["id"]), SEND_MESSAGES)  # Create Posts
        if refused is not None:
            return refused
        tags = [str(t) for t in body.get("applied_tags") or []]
        if set(tags) - {t["id"] for t in channel["available_tags"]}:
            return self._error(50035, "Invalid Form Body (applied_tags)", 400)
        if channel["flags"] & REQUIRE_TAG and not tags:
            return self._error(
                40067, "A tag is required to create a forum post in this channel", 400
            )
        if "message" not in body:
            return self._error(50035, "Invalid Form Body (message: required in a forum)", 400)
        thread = self._new_thread(channel, body["name"], PUBLIC_THREAD, tags)
        await self._opened(thread)
        first = self._message(int(thread["id"]), body["message"])
        first["id"] = thread["id"]  # a forum post's first message has the post's id
        first["request"] = body["message"]
        await self._post(int(thread["id"]), first)
        return self._json({**thread, "message_count": 1, "message": first}, 201)

    async def _thread_on_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        channel = self.channels.get(channel_id)
        if channel is None:
            return self._error(10003, "Unknown Channel", 404)
        found = next(
            (m for m in self.channel_messages.get(channel_id, []) if m["id"] == request.match_info["message"]),
            None,
        )  # fmt: skip
        if found is None:
            return self._error(10008, "Unknown Message", 404)
        if bad := self._bad_name(request[BODY].get("name")):
            return bad
        refused = self._refusal(channel_id, CREATE_PUBLIC_THREADS)
        if refused is not None:
            return refused
        if found["id"] in {t.get("starter") for t in self.threads.values()}:
            return self._error(160004, "A thread has already been created for this message", 400)
        kind = NEWS_THREAD if channel["type"] == NEWS else PUBLIC_THREAD
        thread = {**self._new_thread(channel, request[BODY]["name"], kind, []), "id": found["id"]}
        await self._opened({**thread, "starter": found["id"]})
        return self._json(thread, 201)

    async def _open_dm(self, request: web.Request) -> web.Response:
        """The direct message channel with a user (the same one each time)."""
        user_id = int(request[BODY]["recipient_id"])
        found = next(
            (c for c in self.channels.values() if c["type"] == DM and c["recipients"][0]["id"] == str(user_id)),
            None,
        )  # fmt: skip
        if found is None:
            found = {"id": snowflake(), "type": DM, "last_message_id": None,
                     "recipients": [self.member(user_id)["user"]]}  # fmt: skip
            self.channels[int(found["id"])] = found
            self.channel_messages[int(found["id"])] = []
        return self._json(found)

    def dm_channel(self, user_id: int) -> int | None:
        """The id of the direct message channel the bot opened with a user, if any."""
        return next(
            (cid for cid, c in self.channels.items() if c["type"] == DM and c["recipients"][0]["id"] == str(user_id)),
            None,
        )  # fmt: skip

    async def _crosspost(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        message_id = request.match_info["message"]
        found = next(m for m in self.channel_messages[channel_id] if m["id"] == message_id)
        self.crossposts.append((channel_id, message_id))
        return self._json({**found, "flags": 1})  # CROSSPOSTED

    async def _member_role(self, request: web.Request) -> web.Response:
        user_id, role_id = int(request.match_info["member"]), int(request.match_info["role"])
        roles = self.member_roles.setdefault(user_id, set())
        if request.method == "PUT":
            roles.add(role_id)
        else:
            roles.discard(role_id)
        return web.Response(status=204)

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channels.get(int(request.match_info["channel"]))
        if channel is None:
            return self._error(10003, "Unknown Channel", 404)
        return self._json({k: v for k, v in channel.items() if k != "starter"})

    # -- gateway -----------------------------------------------------------------------

    async def _dispatch(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._sequence += 1
        await socket.send_str(json.dumps({"op": 0, "t": event, "s": self._sequence, "d": data}))

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_gateway:
            return web.Response(status=503, text="gateway unavailable")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}}))
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            op = payload["op"]
            if op == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif op == 2 and self.close_code is not None:
                await socket.close(code=self.close_code, message=b"test fault")
            elif op == 2:
                self.identifies += 1
                self.identify_payloads.append(payload["d"])
                await self._dispatch(socket, "READY", {
                    "v": 10, "user": user(BOT_ID, "archive-bot", bot=True), "session_id": f"session-{self.identifies}",
                    "resume_gateway_url": f"ws://127.0.0.1:{self.port}/", "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                    "application": {"id": str(APP_ID), "flags": 0}, "shard": [0, 1],
                })  # fmt: skip
                # With the active threads, as Discord sends them (forum posts among them).
                threads = [
                    {k: v for k, v in t.items() if k != "starter"} for t in self.threads.values()
                ]
                await self._dispatch(
                    socket, "GUILD_CREATE", {**guild_payload(), "threads": threads}
                )
                self.ready.set()
            elif op == 6:
                self.resumes += 1
                await self._dispatch(socket, "RESUMED", {})
                self.ready.set()
        if socket in self.sockets:
            self.sockets.remove(socket)
        return socket

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the bot's gateway connection as Discord does when something went wrong."""
        self.ready.clear()
        for socket in list(self.sockets):
            await socket.close(code=code, message=b"test drop")

    # -- driving the bot ---------------------------------------------------------------

    def member(self, user_id: int) -> dict[str, Any]:
        """A known member, or a new plain member (each with cooldowns of their own), with the
        roles they took through the bot."""
        found = MEMBERS.get(user_id) or member(user_id, f"user{user_id}", [])
        taken = [str(role) for role in sorted(self.member_roles.get(user_id, ()))]
        return {**found, "roles": sorted(set(found["roles"]) | set(taken))}

    def _base_interaction(self, kind: int, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
        interaction_id = snowflake()
        return {
            "id": interaction_id, "application_id": str(APP_ID), "type": kind, "token": f"token-{interaction_id}",
            "version": 1, "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID),
            "channel": _channel(CHANNEL_ID, "general", 0), "member": {**self.member(user_id), "permissions": "0"},
            "data": data, "locale": "en-US", "guild_locale": "en-US", "app_permissions": str(VIEW_SEND_EMBED),
            "entitlements": [], "authorizing_integration_owners": {"0": str(GUILD_ID)}, "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
        }  # fmt: skip

    def _command_data(self, name: str, options: list[dict[str, Any]]) -> dict[str, Any]:
        command_id = next((c["id"] for c in self.global_commands if c["name"] == name), snowflake())
        data: dict[str, Any] = {"id": command_id, "name": name, "type": 1, "options": options}
        channels = [o for o in _flatten(options) if o["type"] == 7]
        resolved: dict[str, Any] = {}
        if channels:
            guild_channels = {c["id"]: c for c in guild_payload()["channels"]}
            resolved["channels"] = {
                o["value"]: {**guild_channels[o["value"]], "permissions": str(VIEW_SEND_EMBED)} for o in channels
            }  # fmt: skip
        roles = [o for o in _flatten(options) if o["type"] == 8]
        if roles:
            guild_roles = {r["id"]: r for r in guild_payload()["roles"]}
            resolved["roles"] = {o["value"]: guild_roles[o["value"]] for o in roles}
        attachments = [o for o in _flatten(options) if o["type"] == 11]
        if attachments:
            resolved["attachments"] = {
                o["value"]: self._attachment(o["value"]) for o in attachments
            }
        if resolved:
            data["resolved"] = resolved
        return data

    def attach(self, name: str, data: bytes, option_name: str = "file") -> dict[str, Any]:
        """An attachment option: the file is served by the stand-in, as Discord's CDN would."""
        attachment_id = snowflake()
        self.files[attachment_id] = (name, data)
        return option(option_name, attachment_id, 11)

    def _attachment(self, attachment_id: str) -> dict[str, Any]:
        name, data = self.files[attachment_id]
        url = f"{self.base}/attachments/{attachment_id}/{name}"
        return {
            "id": attachment_id,
            "filename": name,
            "size": len(data),
            "url": url,
            "proxy_url": url,
        }

    async def send(self, payload: dict[str, Any], timeout: float = 3.0) -> Interaction:
        """Send an interaction over the gateway; wait until the bot answers it."""
        await asyncio.wait_for(self.ready.wait(), timeout=30)
        record = Interaction(payload["id"], payload["token"], payload, time.monotonic())
        self.interactions[record.id] = record
        await self._dispatch(self.sockets[-1], "INTERACTION_CREATE", payload)
        await asyncio.wait_for(record.answered.wait(), timeout=timeout)
        return record

    async def command(
        self, name: str, *options: dict[str, Any], user_id: int = MEMBER_ID, timeout: float = 3.0
    ) -> Interaction:
        return await self.send(
            self._base_interaction(2, user_id, self._command_data(name, list(options))), timeout
        )

    async def autocomplete(
        self, name: str, *options: dict[str, Any], user_id: int = MEMBER_ID
    ) -> Interaction:
        return await self.send(
            self._base_interaction(4, user_id, self._command_data(name, list(options)))
        )

    async def click(
        self, message: dict[str, Any], custom_id: str, user_id: int = MEMBER_ID
    ) -> Interaction:
        payload = self._base_interaction(3, user_id, {"custom_id": custom_id, "component_type": 2})
        payload["message"] = message
        return await self.send(payload)

    async def wait_for_post(
        self, channel_id: int, count: int, timeout: float
    ) -> list[dict[str, Any]]:
        async with self.message_posted:
            await asyncio.wait_for(
                self.message_posted.wait_for(
                    lambda: len(self.channel_messages[channel_id]) >= count
                ),
                timeout,
            )
        return self.channel_messages[channel_id]

    def bot_messages(self) -> list[dict[str, Any]]:
        """Every message body the bot sent or edited, however it sent it."""
        bodies: list[dict[str, Any]] = []
        for interaction in self.interactions.values():
            bodies += [
                c["data"] for c in interaction.callbacks if c.get("data") and c["type"] in (4, 7)
            ]
            bodies += interaction.followups + interaction.edits
        bodies += [m["request"] for messages in self.channel_messages.values() for m in messages]
        return bodies


def _flatten(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat = []
    for option in options:
        flat.append(option)
        flat += _flatten(option.get("options", []))
    return flat


def option(name: str, value: Any, kind: int = 3, *, focused: bool = False) -> dict[str, Any]:
    """A command option as Discord sends it (3 string, 4 integer, 7 channel, 8 role,
    11 attachment: see ``FakeDiscord.attach``)."""
    result: dict[str, Any] = {"name": name, "type": kind, "value": value}
    if focused:
        result["focused"] = True
    return result


def subcommand(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": 1, "options": list(options)}
