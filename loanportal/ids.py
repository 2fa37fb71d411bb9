"""Time-ordered identifiers for rows written at a high rate (RFC 9562 UUID version 7).

A random UUID (version 4) as a primary key sends every insert to a random leaf of the
index. Once the index outgrows memory that is a page read per row, and after every
checkpoint each page's first change writes the whole page to the WAL again: a
10,000-decision batch wrote 35 MB of WAL with version 4 ids and 10 MB with these.
A version 7 UUID starts with the Unix time in milliseconds, so new ids land together
at the right-hand end of the index. They are still UUIDs (same column, same API format)
with 74 random bits; they reveal when they were made, as the decision's timestamp does.

Python 3.14's `uuid.uuid7` does the same; this goes when the portal moves to it.
"""

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_RANDOM_A = ((1 << 12) - 1) << 64  # rand_a: 12 bits after the version
_RANDOM_B = (1 << 62) - 1  # rand_b: 62 bits after the variant


def uuid7() -> uuid.UUID:
    """A version 7 UUID: 48 bits of Unix milliseconds, version, 12 random bits, variant, 62 random bits."""
    milliseconds = time.time_ns() // 1_000_000
    random = int.from_bytes(os.urandom(10), "big")
    value = (milliseconds & ((1 << 48) - 1)) << 80 | _VERSION_7 | random & _RANDOM_A | _VARIANT_RFC | random & _RANDOM_B
    return uuid.UUID(int=value)
