"""Mojibake repair: text that was UTF-8, decoded with a legacy single-byte code page.

ftfy fixes the common cases (UTF-8 read as Windows-1252 or Latin-1). It does not know the
Greek code pages (Windows-1253, ISO-8859-7), which turn ``—`` into ``β€”``, and it gives up
on text in which some bytes were lost. The fallback maps each run of suspicious characters
back to bytes with those code pages and keeps the result only where it decodes as UTF-8;
where bytes were lost it fills in the likeliest one, reads a lone lead character from its
context (``Iβm`` → ``I’m``), and drops what cannot be recovered.

Text with no sign of mojibake (no lead character of a UTF-8 sequence misread, next to a
continuation character or a Latin letter) skips all of this: a cheap check first.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

# Code pages whose mojibake ftfy leaves alone, tried together: a character that two of them
# give for different bytes (the euro sign: 0x80 in Windows-1253, 0xA4 in ISO-8859-7) keeps
# both bytes as candidates.
_FALLBACK_CODEPAGES = ("cp1253", "iso-8859-7")
_MAX_VARIANTS = 64


def _reverse_table() -> dict[str, tuple[int, ...]]:
    """Map each character the code pages yield for bytes 0x80-0xFF to the bytes it may be.

    Bytes a code page leaves undefined are read the way sloppy decoders read them: as
    Windows-1252, else Latin-1.
    """
    table: dict[str, list[int]] = {}
    for codepage in _FALLBACK_CODEPAGES:
        for byte in range(0x80, 0x100):
            raw = bytes([byte])
            for encoding in (codepage, "cp1252", "latin-1"):
                try:
                    char = raw.decode(encoding)
                except UnicodeDecodeError:
                    continue
                if byte not in table.setdefault(char, []):
                    table[char].append(byte)
                break
    return {char: tuple(candidates) for char, candidates in table.items()}


_TABLE = _reverse_table()
_RUN = re.compile("[" + "".join(re.escape(ch) for ch in _TABLE) + "]{2,}")


def _decodings(first: int, last: int) -> str:
    """Every character the single-byte code pages give for bytes ``first``..``last``."""
    chars = {
        bytes([byte]).decode(codepage, errors="ignore")
        for byte in range(first, last + 1)
        for codepage in ("cp1252", "latin-1", *_FALLBACK_CODEPAGES)
    }
    return "".join(re.escape(ch) for ch in sorted(chars - {""}))


_LEADS = _decodings(0xC2, 0xF4)
_CONTINUATIONS = _decodings(0x80, 0xBF)
#: Greek letters a UTF-8 lead byte turns into under Windows-1253 / ISO-8859-7.
_GREEK_LEADS = "".join(
    re.escape(ch)
    for ch in {bytes([b]).decode("cp1253", errors="ignore") for b in range(0xC2, 0xF5)} - {""}
)
#: The cheap check: a misread lead character before a continuation or beside a Latin letter.
#: It opens with one class of rare characters (the lead characters), which the regular
#: expression engine skips ahead to, rather than trying every position of the text.
_SUSPECT = re.compile(
    f"[{_LEADS}{_GREEK_LEADS}]"
    f"(?:(?<=[{_LEADS}])[{_CONTINUATIONS}]"
    f"|(?<=[{_GREEK_LEADS}])[A-Za-z]"
    f"|(?<=[A-Za-z][{_GREEK_LEADS}]))"
)
#: A lone Greek lead character whose continuation bytes were lost: between Latin letters it
#: was an apostrophe ("Iβm"), between spaces a dash; anywhere else beside Latin text, nothing
#: recoverable.
_LONE_APOSTROPHE = re.compile(f"(?<=[A-Za-z])[{_GREEK_LEADS}](?=[A-Za-z])")
_LONE_DASH = re.compile(f"(?<=[A-Za-z0-9,.;:!?)] )[{_GREEK_LEADS}](?= )")
_LONE_LOST = re.compile(
    f"(?<=[A-Za-z0-9.,;:!?)])[{_GREEK_LEADS}](?![A-Za-z{_GREEK_LEADS}])"
    f"|(?<= )[{_GREEK_LEADS}](?=[\\s.,;:!?)]|$)",
    re.MULTILINE,
)
# A lead byte (0xC2-0xF4) followed by continuation bytes (0x80-0xBF): the shape of UTF-8.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _oddness(text: str) -> int:
    """How many characters of ``text`` are unlikely in prose: unassigned, private, control,
    or game tiles (which is what a wrong byte turns an emoji into)."""
    return sum(
        1
        for ch in text
        if unicodedata.category(ch) in {"Cn", "Co", "Cc", "Cs"} or 0x1F000 <= ord(ch) <= 0x1F0FF
    )


def _repair_run(run: str) -> str:
    choices = [_TABLE[ch] for ch in run]
    if any(min(a) >= 0xC0 and min(b) >= 0xC0 for a, b in itertools.pairwise(choices)):
        return run  # two lead bytes in a row never occur in UTF-8: this is real Greek text
    variants = [
        bytes(combo) for combo in itertools.islice(itertools.product(*choices), _MAX_VARIANTS)
    ]
    if not _UTF8_SEQUENCE.search(variants[0]):
        return run
    decoded: list[str] = []
    for raw in variants:
        try:
            decoded.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            continue
    if decoded:
        return min(decoded, key=_oddness)
    # A three-byte sequence that lost its middle byte is almost always punctuation
    # (U+2000-U+203F: dashes, quotes, the ellipsis), whose middle byte is 0x80.
    if len(run) == 2 and variants[0][0] in (0xE2, 0xE3):
        try:
            return bytes([variants[0][0], 0x80, variants[0][1]]).decode("utf-8")
        except UnicodeDecodeError:
            pass
    # Some bytes were lost: keep the complete sequences, drop the broken ones, as long as
    # what decodes outweighs what does not.
    lossy = variants[0].decode("utf-8", errors="replace")
    broken = lossy.count("\ufffd")
    repaired = sum(1 for ch in lossy if ord(ch) > 0x7F and ch != "\ufffd")
    return lossy.replace("\ufffd", "") if repaired >= broken else run


def repair_text(text: str) -> str:
    """Return ``text`` with mojibake undone; text that is already right comes back unchanged."""
    if not _SUSPECT.search(text):
        return text
    # Imported here: most text has no mojibake, and importing ftfy is a third of what a parse
    # worker process spends starting.
    import ftfy

    text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    text = _RUN.sub(lambda match: _repair_run(match.group()), text)
    text = _LONE_APOSTROPHE.sub("’", text)
    text = _LONE_DASH.sub("—", text)
    return _LONE_LOST.sub("", text)


def decode_bytes(data: bytes) -> str:
    """Decode a content file: UTF-16 when it starts with its BOM, UTF-8 (with or without
    BOM), else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
