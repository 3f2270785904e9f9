"""Pairwise pseudonymous subject ids: stable per publisher, unlinkable across publishers."""

from __future__ import annotations

import uuid

from server.identity.pseudonyms import pairwise_subject

KEY = b"k" * 32
PUPIL = uuid.UUID(int=1)
OTHER_PUPIL = uuid.UUID(int=2)
PUBLISHER_A = uuid.UUID(int=10)
PUBLISHER_B = uuid.UUID(int=11)


def test_same_pupil_same_publisher_same_id() -> None:
    assert pairwise_subject(KEY, PUPIL, PUBLISHER_A) == pairwise_subject(KEY, PUPIL, PUBLISHER_A)


def test_publishers_see_different_ids_for_the_same_pupil() -> None:
    a = pairwise_subject(KEY, PUPIL, PUBLISHER_A)
    b = pairwise_subject(KEY, PUPIL, PUBLISHER_B)
    assert a != b
    assert str(PUPIL) not in (a, b)


def test_pupils_get_different_ids() -> None:
    assert pairwise_subject(KEY, PUPIL, PUBLISHER_A) != pairwise_subject(
        KEY, OTHER_PUPIL, PUBLISHER_A
    )


def test_the_key_matters() -> None:
    assert pairwise_subject(KEY, PUPIL, PUBLISHER_A) != pairwise_subject(
        b"other key" * 4, PUPIL, PUBLISHER_A
    )


def test_the_id_is_a_uuid() -> None:
    value = pairwise_subject(KEY, PUPIL, PUBLISHER_A)
    assert str(uuid.UUID(value)) == value
