# The archive bot in a container: code and bundled content in /app (read-only for the bot),
# the SQLite database on a volume at /data. Configure with DISCORD_TOKEN and ARCHIVE_BOT__…
# environment overrides (see .env.example); compose.yaml shows a complete service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARCHIVE_BOT__DATABASE__PATH=/data/archive.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
COPY config ./config
COPY seeds ./seeds

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir /data && chown bot:bot /data
USER bot
VOLUME ["/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "status"]
CMD ["python", "-m", "bot"]
