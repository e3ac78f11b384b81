"""What the bot asks of Discord: the invite's permissions per enabled feature, the token's id,
the one gateway intent, and `python -m bot invite`."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot import permissions
from bot.cli import main
from bot.permissions import (
    INTENTS,
    SUBSCRIPTION_ROLE_ALLOWED,
    application_id_from_token,
    invite_url,
    needed,
    permission_value,
)
from bot.render.startup import NO_APPLICATION_ID, TOKEN_WITHOUT_ID
from tests.conftest import SEEDS, write_config

APP_ID = 123456789012345678


def token_for(user_id: int) -> str:
    """A token shaped as Discord makes them: the id in unpadded base64, then two parts."""
    first = base64.b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{first}.GhIjKl.{'x' * 38}"


def test_every_bit_is_discords() -> None:
    names = {
        "CREATE_INVITE": "create_instant_invite", "VIEW_CHANNELS": "view_channel",
        "MANAGE_SERVER": "manage_guild", "VIDEO": "stream", "USE_VOICE_ACTIVITY": "use_voice_activation",
        "USE_ACTIVITIES": "use_embedded_activities", "CREATE_POLLS": "send_polls",
    }  # fmt: skip
    constants = {n: v for n, v in vars(permissions).items() if n.isupper() and isinstance(v, int)}
    for name, bit in constants.items():
        if name in ("INTENTS", "SUBSCRIPTION_ROLE_ALLOWED"):
            continue
        flag = names.get(name, name.lower())
        assert discord.Permissions(**{flag: True}).value == bit, name


def test_the_invite_asks_for_what_the_features_need() -> None:
    posting = discord.Permissions(
        view_channel=True, send_messages=True, embed_links=True,
        send_messages_in_threads=True, create_public_threads=True,
    )  # fmt: skip
    assert permission_value(needed(role_subscriptions=False)) == posting.value
    with_roles = discord.Permissions(posting.value, manage_roles=True)
    assert permission_value(needed(role_subscriptions=True)) == with_roles.value
    assert not with_roles.administrator and not with_roles.mention_everyone


def test_the_invite_url() -> None:
    url = invite_url(APP_ID, 268454912)
    assert url == (
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
        "&scope=bot+applications.commands&permissions=268454912"
    )


def test_the_gateway_intents_are_guilds_alone() -> None:
    assert discord.Intents(INTENTS) == discord.Intents(guilds=True)
    assert INTENTS == 1


def test_a_subscription_role_may_only_chat() -> None:
    allowed = discord.Permissions(SUBSCRIPTION_ROLE_ALLOWED)
    for power in ("administrator", "manage_roles", "manage_guild", "manage_channels",
                  "manage_messages", "kick_members", "ban_members", "mention_everyone",
                  "moderate_members", "manage_webhooks", "view_audit_log", "send_tts_messages"):  # fmt: skip
        assert not getattr(allowed, power), power
    assert allowed >= discord.Permissions(view_channel=True, send_messages=True, add_reactions=True)


@pytest.mark.parametrize("user_id", [APP_ID, 80351110224678912, 1])
def test_the_id_is_read_from_the_token(user_id: int) -> None:
    assert application_id_from_token(token_for(user_id)) == user_id


@pytest.mark.parametrize("token", ["", "not-base64!.x.y", "aGVsbG8.x.y", "e2e.fake.token"])
def test_a_token_without_an_id(token: str) -> None:
    assert application_id_from_token(token) is None


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    return write_config(tmp_path, SEEDS)


def test_invite_with_an_application_id(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invite", "--config", str(config), "--application-id", str(APP_ID)]) == 0
    out = capsys.readouterr().out
    url = out.splitlines()[0]
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted.view_channel and granted.send_messages and granted.embed_links
    assert granted.manage_roles
    assert "  Manage Roles: to give and take the announcement role with /subscribe" in out


def test_invite_reads_the_id_from_the_token(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", token_for(APP_ID))
    monkeypatch.setenv("ARCHIVE_BOT__DISCORD__ROLE_SUBSCRIPTIONS", "false")
    assert main(["invite", "--config", str(config)]) == 0
    url = capsys.readouterr().out.splitlines()[0]
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [str(APP_ID)]
    assert not discord.Permissions(int(query["permissions"][0])).manage_roles


def test_invite_without_token_or_id_is_one_line_and_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["invite", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == NO_APPLICATION_ID and not captured.out
    monkeypatch.setenv("DISCORD_TOKEN", "not a bot token")
    assert main(["invite", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip() == TOKEN_WITHOUT_ID


def test_every_name_is_of_a_discord_permission() -> None:
    bits = {value.bit_length() - 1 for value in discord.Permissions.VALID_FLAGS.values()}
    assert set(permissions.NAMES) == bits
    assert permissions.NAMES[40] == "Timeout Members"


def test_what_a_subscription_role_may_not_grant() -> None:
    role = discord.Permissions(administrator=True, send_messages=True, moderate_members=True)
    assert permissions.beyond_subscription(role.value) == ["Administrator", "Timeout Members"]
    assert permissions.beyond_subscription(discord.Permissions(view_channel=True).value) == []
    assert permissions.names_of(1 << 60) == ["permission bit 60"]
