"""The Discord layer: thin cogs that turn interactions into core calls and cards into embeds.

The client (``bot.client.EXTENSIONS``) lists which modules here it loads."""
