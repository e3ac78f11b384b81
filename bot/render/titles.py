"""What a resource is called where it is shown, and the text shown under that name.

The parser keeps a resource's title and text as the newsletter had them; two cases read
badly when shown as they are, in any newsletter:

* the text starts by repeating the title ("Nutrify — I'm working on…" under "Nutrify", or
  "Nutrify is here! …"): ``shown_text`` drops the repetition, or marks the title's words
  as the text's opening for a card to show them once;
* a resource without a heading is titled with its whole first sentence: ``display_title``
  derives a short name from it (a linked or quoted name, a leading noun phrase, or the first
  clause cut at a word boundary), at most ``MAX_TITLE`` characters. The sentence itself stays
  in the text.

Nothing here knows one newsletter from another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.archive.records import ResourceRecord, format_date
from bot.content.models import Resource

__all__ = [
    "MAX_TITLE",
    "ShownText",
    "context_line",
    "display_title",
    "issue_date_text",
    "shorten",
    "shown_text",
    "title_is_sentence",
]

MAX_TITLE = 80
ELLIPSIS = "…"
MIN_NAME = 12  # characters: a derived name shorter than this says too little
SHORT_SENTENCE = 50  # characters: a sentence this short reads well enough as a title

# What separates a lead-in title from the rest of its paragraph: a dash, a colon, a full
# stop, a line break ("Marimo — a notebook", "DuckDB 1.0: the…"; not "Marimo is a…").
_LEAD_SEPARATOR = re.compile(r"^\s*(?:[—–:|]|-{1,2}(?=\s)|[.!?](?=\s|$))\s*|^[^\S\n]*\n\s*")
_SPACES = re.compile(r"\s+")
# A list marker the text may open with before the title: "• ", "- ", "1. ", "1) ", "1、".
_MARKER = re.compile(r"^\s*(?:[•·*\-–]\s+|\d{1,3}(?:[.)]\s+|、\s*))")
_LINKED = re.compile(r"\[([^\]\n]{3,}?)\]\([^)\s]+\)")
_QUOTED = re.compile(r"[“\"]([^”\"\n]{3,}?)[”\"]|‘([^’\n]{3,}?)’")
# Words that end a leading noun phrase: the verbs and auxiliaries a sentence about a
# resource usually continues with ("X is…", "X goes through…", "X walks you through…").
_VERBS = frozenset(
    """
    is are was were be been has have had do does did can could will would should may might
    must shall goes walks shows explains covers describes introduces offers lets helps makes
    creates allows gives takes uses teaches turns brings provides combines compares
    demonstrates outlines presents proposes releases released launched launches came comes
    went got gets looks tells says finds found changed changes became becomes
    """.split()
)
# A sentence opening like these names no resource: "I used to…", "It's a good…", and
# invitations: "Check out…", "Read…".
_OPENERS = frozenset(
    """
    i i'm i’m i've i’ve we we're we’re you you're you’re it it's it’s this that these those
    they he she there here my our your what why how when if so and but or
    check read watch see try meet join get take find listen look learn
    """.split()
)
# Words that start a clause: a phrase holding one is more than a name.
_CLAUSE_WORDS = frozenset(
    "which that who whom whose where when because if while since although though".split()
)
_CLAUSE = re.compile(r"\s+[—–(]|[,;:]\s|\s-\s")
# A closing byline: "… by Vikash Sehwag", "… by Google AI" (not "… by up to 4000x").
_BY = re.compile(r"\s+by\s+[A-Z][^,;:()]*$")


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def shorten(text: str, limit: int = MAX_TITLE) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, marked with …."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > limit // 3 else cut[: limit - len(ELLIPSIS)]
    return cut.rstrip(" ,;:—–-(") + ELLIPSIS


def _stem(title: str) -> str:
    """The title without a trailing ellipsis the parser added when it cut a sentence."""
    return title[: -len(ELLIPSIS)].rstrip() if title.endswith(ELLIPSIS) else title.rstrip()


def _starts_with_title(title: str, text: str) -> bool:
    stem = _normal(_stem(title))
    return bool(stem) and _normal(text).startswith(stem)


def title_is_sentence(title: str, text: str) -> bool:
    """Whether the parser titled the resource with its text's opening sentence (it had no
    heading): the text starts with the title, and the title reads as a sentence (ends like
    one, or was cut short)."""
    stripped = title.strip()
    if not _starts_with_title(stripped, text):
        return False
    return stripped.endswith((".", "!", "?", ELLIPSIS)) or len(stripped) > MAX_TITLE


def _named(sentence: str) -> str | None:
    """A linked or quoted name in the sentence."""
    for pattern in (_LINKED, _QUOTED):
        for match in pattern.finditer(sentence):
            name = next(g for g in match.groups() if g)
            name = name.strip(" .,")
            one_word_name = " " not in name and not name.islower()  # “Polars”, not “best”
            if MIN_NAME <= len(name) <= MAX_TITLE or (len(name) >= 3 and one_word_name):
                return name
    return None


def _noun_phrase(sentence: str) -> str | None:
    """The words before the sentence's first verb, if they make a name."""
    words = sentence.split(" ")
    if not words or words[0].casefold().strip(",") in _OPENERS:
        return None
    for index, word in enumerate(words[1:], start=1):
        if word.strip(",.!?") in _CLAUSE_WORDS:
            return None
        if word.strip(",.!?") in _VERBS:  # lower case only: "Attention Is All You Need"
            phrase = " ".join(words[:index]).rstrip(" ,—–-:")
            if index < 2 or len(phrase) < MIN_NAME:
                return None
            if len(phrase) > MAX_TITLE:
                phrase = _BY.sub("", phrase)
            return phrase
    return None


def _first_clause(sentence: str) -> str:
    match = _CLAUSE.search(sentence)
    if match and match.start() >= MIN_NAME:
        return sentence[: match.start()]
    return sentence


def _opening_sentence(title: str, text: str) -> str:
    """The text's whole opening sentence (the title may have been cut short), spaces
    normalised, without its closing punctuation."""
    sentence = _SPACES.sub(" ", text).strip()
    skip = max(0, len(_stem(title)) - 1)
    end = re.search(r"[.!?](?=\s|$)", sentence[skip:])
    if end:
        sentence = sentence[: skip + end.start()]
    return sentence.rstrip(".!? ")


def _name_for(sentence: str) -> str:
    if len(sentence) <= SHORT_SENTENCE:
        return sentence
    for derive in (_named, _noun_phrase):
        name = derive(sentence)
        if name:
            return shorten(name)
    if len(sentence) <= MAX_TITLE:
        return sentence
    return shorten(_first_clause(sentence))


def display_title(resource: ResourceRecord | Resource) -> str:
    """What to call the resource on a card: its title, or a name derived from the sentence
    it was titled with; never more than ``MAX_TITLE`` characters."""
    title = _SPACES.sub(" ", resource.title).strip()
    if not title:  # nothing to go on but the text
        return _name_for(_opening_sentence("", resource.text)) if resource.text.strip() else ""
    if title_is_sentence(title, resource.text):
        return _name_for(_opening_sentence(title, resource.text))
    if len(title) > MAX_TITLE:  # a long heading: without its byline first, if that fits
        title = _BY.sub("", title) if len(_BY.sub("", title)) <= MAX_TITLE else title
    return shorten(title)


def _after(text: str, prefix: str) -> str:
    """``text`` after its opening ``prefix``, matched whitespace- and case-insensitively."""
    wanted = len(_normal(prefix))
    consumed = 0
    while consumed < len(text) and len(_normal(text[:consumed])) < wanted:
        consumed += 1
    return text[consumed:]


@dataclass(frozen=True)
class ShownText:
    """A resource's text as a card shows it with its display title, the title never twice.

    ``opening`` is set when the text's first sentence runs on from the title ("Marimo is a
    notebook…" under "Marimo"): it is the text's own words for the title, and ``rest`` follows
    them (" is a notebook…"). A card then makes ``opening`` the bold start of the text in place
    of a separate title, or shows ``rest`` alone as a continuation of the title. Otherwise
    ``opening`` is empty and ``rest`` is the text without a repeated lead-in ("Marimo — a
    notebook" → "A notebook"); ``rest`` is empty when the text only repeats the title.
    """

    opening: str
    rest: str


def _capitalised(rest: str) -> str:
    """``rest`` with a lower-case first word capitalised ("a video about…" → "A video about…")."""
    first = rest.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        return rest[0].upper() + rest[1:]
    return rest


def _says_more(rest: str) -> bool:
    return bool(rest.strip(" .!?…\n"))


def _runs_on(text: str, title: str) -> ShownText | None:
    """The text split after its opening words for ``title``, when it starts with them as
    whole words ("Go" does not open "Google…"; a title cut with … may end inside a word)."""
    stem = _stem(title)
    if not _starts_with_title(stem, text):
        return None
    rest = _after(text, stem)
    if rest[:1].isalnum() and not title.endswith(ELLIPSIS):
        return None
    if not _says_more(rest):
        return ShownText("", "")
    return ShownText(_SPACES.sub(" ", text[: len(text) - len(rest)]).strip(), rest)


def shown_text(resource: ResourceRecord) -> ShownText:
    """The resource's text as shown with its display title (see ``ShownText``).

    A heading repeated as a lead-in ("Title — text") is dropped, and so is an opening sentence
    that is shown whole as the title. A heading or a name derived from the opening sentence
    that runs on into it ("Title is here! …") becomes the text's opening.
    """
    text = resource.text.strip()
    title = resource.title.strip()
    marker = _MARKER.match(text)
    if marker and title and not _starts_with_title(title, text):
        text = text[marker.end() :] if _starts_with_title(title, text[marker.end() :]) else text
    if title and _starts_with_title(title, text) and not title_is_sentence(title, text):
        after = _after(text, _stem(title))
        lead = _LEAD_SEPARATOR.match(after)
        if lead is not None:
            rest = after[lead.end() :]
            return ShownText("", _capitalised(rest) if _says_more(rest) else "")
        return _runs_on(text, title) or ShownText("", text)
    if title and title_is_sentence(title, text):
        sentence = _opening_sentence(title, text)
        if _name_for(sentence) == sentence:  # the whole sentence is the title
            rest = _after(text, sentence).lstrip(".!?").strip()
            return ShownText("", _capitalised(rest) if _says_more(rest) else "")
    return _runs_on(text, display_title(resource)) or ShownText("", text)


def issue_date_text(date: str | None, inferred: bool) -> str:
    """``March 2021``; ``about March 2021`` when the date was inferred, not read."""
    shown = format_date(date)
    return f"about {shown}" if inferred and date else shown


def context_line(resource: ResourceRecord) -> str:
    """``#15 · March 2021 · Paper of the month``: the issue, its month and the section."""
    parts = [
        f"#{resource.issue}",
        issue_date_text(resource.issue_date, resource.issue_date_inferred),
    ]
    if resource.section:
        parts.append(resource.section)
    return " · ".join(parts)
