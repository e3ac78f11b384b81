"""Start the real bot (``python -m bot``) pointed at a local stand-in for Discord.

    python tests/e2e/launch_bot.py http://127.0.0.1:PORT [bot arguments…]

Only the two addresses discord.py talks to change: the REST base (the interaction webhooks
are built from it too) and the gateway. The bot itself runs unmodified.
"""

from __future__ import annotations

import runpy
import sys

import discord.gateway
import discord.http
import yarl


def main() -> None:
    base, *arguments = sys.argv[1:]
    discord.http.Route.BASE = f"{base}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        base.replace("http://", "ws://", 1) + "/"
    )
    sys.argv = ["bot", *arguments]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
