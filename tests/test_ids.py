"""Decision ids are RFC 9562 version 7 UUIDs: the creation millisecond first, then randomness."""

import time
import uuid

from loanportal.ids import uuid7


def test_a_uuid7_has_version_7_the_rfc_variant_and_the_current_millisecond_first():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after
    assert uuid.UUID(str(value)) == value


def test_ids_made_in_a_later_millisecond_sort_after_earlier_ones():
    earlier = [uuid7() for _ in range(50)]
    time.sleep(0.002)
    later = [uuid7() for _ in range(50)]
    assert max(earlier) < min(later)
    assert max(map(str, earlier)) < min(map(str, later))  # as PostgreSQL's uuid type orders them


def test_ids_made_in_the_same_millisecond_still_differ_in_their_74_random_bits():
    values = [uuid7() for _ in range(10_000)]
    random_parts = {((v.int >> 64) & 0xFFF, v.int & ((1 << 62) - 1)) for v in values}
    assert len(random_parts) == len(values)
