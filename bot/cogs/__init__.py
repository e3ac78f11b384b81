"""The Discord layer: thin cogs that turn interactions into core calls and cards into embeds."""

EXTENSIONS = ("bot.cogs.issues", "bot.cogs.search", "bot.cogs.archive", "bot.cogs.admin")
