"""What the cogs share, one job a module: replies, posting, background loops, options,
checks. Not extensions: ``bot.client.EXTENSIONS`` lists those."""
