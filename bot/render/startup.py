"""What the bot prints to its console when it cannot start or keep its commands, and what
``python -m bot status`` says: each line names the problem and the fix."""

from __future__ import annotations

NO_TOKEN = """\
No Discord token: set DISCORD_TOKEN in the environment or in a .env file in the folder you start the bot from
(DISCORD_TOKEN=...); README.md, "Run it on Discord", explains how to create the bot and get its token.
To try the archive without Discord, use the console: python -m bot latest | search QUERY | random"""

NO_APPLICATION_ID = (
    "No application id: pass --application-id ID (Developer Portal → your application → "
    "General Information → Application ID), or set DISCORD_TOKEN, which holds it"
)
TOKEN_WITHOUT_ID = (
    "DISCORD_TOKEN does not start with the bot's id, as a bot token does: pass --application-id "
    "ID (Developer Portal → your application → General Information → Application ID)"
)

TOKEN_REJECTED = (
    "Discord rejected the token: reset it in the Developer Portal and update DISCORD_TOKEN"
)

#: The privileged intents, as the Developer Portal names their switches.
PRIVILEGED_INTENTS = {
    "members": "Server Members Intent",
    "presences": "Presence Intent",
    "message_content": "Message Content Intent",
}

EMPTY_QUERY = "give some words to search for, e.g. python -m bot search 'contrastive loss'"
NEWSLETTER_NOT_HERE = (
    "--newsletter narrows check, latest, issue, search and random; the bot (run, sync) and "
    "status always serve every configured newsletter"
)


def intents_refused(requested: list[str]) -> str:
    """Gateway close 4014: which privileged intents the bot asks for and where to enable them."""
    where = "Developer Portal → your application → Bot → Privileged Gateway Intents"
    if not requested:
        return (
            "Discord refused the bot's gateway intents (close code 4014), though it asks for no "
            f"privileged intent: check the application under {where}"
        )
    names = " and ".join(PRIVILEGED_INTENTS[name] for name in requested)
    return (
        f"Discord refused the bot's gateway intents (close code 4014): enable {names} under {where}"
    )


def gateway_closed(code: int) -> str:
    return (
        f"Discord closed the gateway connection with code {code}: see "
        "https://discord.com/developers/docs/topics/opcodes-and-status-codes "
        "for what it means; the bot will not retry it"
    )


def discord_unreachable(attempts: int, error: BaseException) -> str:
    return (
        f"Cannot reach Discord after {attempts} tries ({describe_network_error(error)}): check the "
        "network connection and https://discordstatus.com, then start the bot again"
    )


def connect_retry(error: BaseException, delay: float, attempt: int, attempts: int) -> str:
    return (
        f"cannot reach Discord ({describe_network_error(error)}): trying again in {delay:g} s "
        f"({attempt}/{attempts})"
    )


def sync_failed(error: BaseException) -> str:
    """A first-ever command sync that Discord did not take: the bot would have no commands."""
    return (
        f"Discord did not take the slash commands ({describe_network_error(error)}) and they "
        "were never synced before, so the bot would have no commands: start it again in a few "
        "minutes (https://discordstatus.com)"
    )


def guild_sync_refused(guild_id: int) -> str:
    return (
        f"Discord refused the slash commands for the server {guild_id} in discord.dev_guild_ids "
        "(403 Missing Access): invite the bot there with the applications.commands scope "
        "(docs/running.md, Invite and permissions), or remove the id from discord.dev_guild_ids"
    )


def bad_log_level(value: str) -> str:
    return f"LOG_LEVEL={value} is not a log level: use DEBUG, INFO, WARNING or ERROR"


def sync_kept(error: BaseException) -> str:
    return (
        f"command sync failed ({describe_network_error(error)}): keeping the commands synced "
        "before; the bot syncs again at its next start"
    )


def describe_network_error(error: BaseException) -> str:
    """A short reason without the stack: ``ClientConnectorError: Cannot connect to host …``."""
    text = str(error).strip() or "no details"
    return f"{type(error).__name__}: {text}"


def invite_lines(url: str, needs: list[tuple[str, str]]) -> str:
    """What ``python -m bot invite`` prints: the link, then each permission it asks for and why."""
    lines = [url, "", "It asks for:"]
    lines += [f"  {name}: to {why}" for name, why in needs]
    return "\n".join(lines)


def invite_logged(url: str) -> str:
    return f"invite link (the permissions the enabled features need): {url}"
