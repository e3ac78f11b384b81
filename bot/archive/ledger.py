"""What the posting ledgers (announcements, scheduled posts) share: the state of a claim and
the nonce that makes sending it again safe.

A post is claimed ("posting") before it is sent and marked "posted" once Discord has answered
with the message. A claim still "posting" was interrupted (a crash, a lost connection) at a
point where the message may or may not exist: it is sent again with the same nonce, and
Discord, asked with ``enforce_nonce``, answers with the message made the first time instead of
making a second one. Discord remembers a nonce for a few minutes, so a bot that crashes right
after a post and stays down longer than that can still post it twice; one that crashes before
the post loses nothing however long it stays down. A post Discord refused for good ("failed")
is not sent again.
"""

from __future__ import annotations

import hashlib

POSTING = "posting"
POSTED = "posted"
FAILED = "failed"

#: Discord takes a nonce of at most 25 characters: 7 bytes are at most 17 digits.
_NONCE_BYTES = 7


def nonce(*parts: object) -> int:
    """The nonce of the post that ``parts`` name (its ledger key): the same for every try."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:_NONCE_BYTES], "big")
