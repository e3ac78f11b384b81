"""Newsletter archive bot: a newsletter's back issues, searchable from Discord or a console."""

from importlib.metadata import PackageNotFoundError, version

try:
    # pyproject.toml is the one place the version is written; an install records it.
    __version__ = version("newsletter-archive-bot")
except PackageNotFoundError:  # run from a folder it was never installed from
    __version__ = "unknown (not installed: pip install . from the project folder)"
