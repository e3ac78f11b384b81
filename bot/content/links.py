"""An issue's web address from its newsletter's ``issue_url`` template, for issues whose files
state none."""

from __future__ import annotations

import calendar
import re
import string
import unicodedata

#: The fields a template may use. ``month`` is a number (``{month:02d}`` pads it);
#: ``month_name`` is the English name in lower case; ``slug`` is the title in lower case, its
#: words joined by ``-``.
FIELDS = ("number", "year", "month", "month_name", "slug")
_SAMPLE = {"number": 1, "year": 2020, "month": 1, "month_name": "january", "slug": "a-title"}
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slug(title: str) -> str:
    """``Machine Learning Monthly 💻🤖 March 2021`` → ``machine-learning-monthly-march-2021``."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub("-", plain.casefold()).strip("-")


def template_fields(template: str) -> set[str]:
    """The fields ``template`` uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def check_template(template: str) -> str:
    """``template`` when it is usable; ``ValueError`` saying what is wrong otherwise."""
    allowed = ", ".join(f"{{{name}}}" for name in FIELDS)
    try:
        fields = template_fields(template)
        template.format(**_SAMPLE)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(
            f"{template!r} is not a template whose fields are among {allowed} ({error})"
        ) from None
    if not fields & set(FIELDS):
        raise ValueError(f"{template!r} has none of {allowed} in it")
    return template


def issue_url(
    template: str, number: int, year: int | None, month: int | None, title: str
) -> str | None:
    """The address ``template`` gives an issue; None when it needs a date the issue lacks."""
    fields = template_fields(template)
    if (year is None and "year" in fields) or (month is None and fields & {"month", "month_name"}):
        return None
    return template.format(
        number=number,
        year=year,
        month=month,
        month_name=calendar.month_name[month].lower() if month else None,
        slug=slug(title),
    )
