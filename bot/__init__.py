"""Newsletter archive bot: a newsletter's back issues, searchable from Discord or a console."""

__version__ = "0.1.0"
