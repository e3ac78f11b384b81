"""Schedules described in plain words."""

from __future__ import annotations

import pytest

from bot.render.cron import describe


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("0 9 * * 1", "every Monday at 09:00"),
        ("30 18 * * mon,thu", "every Monday and Thursday at 18:30"),
        ("0 9 * * 1-5", "every weekday (Monday to Friday) at 09:00"),
        ("0 10 * * 6,0", "every Saturday and Sunday at 10:00"),
        ("0 10 * * 7", "every Sunday at 10:00"),
        ("0 8 * * fri-mon", "every Monday, Friday, Saturday and Sunday at 08:00"),
        ("5 7 * * *", "every day at 07:05"),
        ("0 9 1 * *", "on the 1st of every month at 09:00"),
        ("0 9 22 * *", "on the 22nd of every month at 09:00"),
        ("0 9 11 * *", "on the 11th of every month at 09:00"),
        ("0 * * * *", "every hour, on the hour"),
        ("15 * * * *", "every hour at :15"),
        ("0 */6 * * *", "every 6 hours from 00:00"),
        ("0 9 1 1 *", "on `0 9 1 1 *`"),
        ("0 9 * * 1#2", "on `0 9 * * 1#2`"),
        ("*/30 9 * * *", "on `*/30 9 * * *`"),
    ],
)
def test_describe(cron: str, words: str) -> None:
    assert describe(cron, "Europe/Paris") == f"{words}, Europe/Paris"
