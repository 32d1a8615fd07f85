"""Checksums as devices check them: our text for every algorithm passes the SDK's own
``verify_checksum`` (tb-mqtt-client's ``sdk_utils``), chunked or in one go."""

from __future__ import annotations

import hashlib

import pytest
from sdk_utils import verify_checksum

from industryos.devices.ota.checksums import checksum_of, new_digest, normalize
from industryos.devices.ota.wire import ChecksumAlgorithm

DATA = hashlib.sha512(b"industryos").digest() * 300


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
def test_sdk_accepts_our_checksum(algorithm: ChecksumAlgorithm) -> None:
    text = checksum_of(algorithm, DATA)
    assert text == text.lower()
    assert verify_checksum(DATA, algorithm.value, text)
    assert not verify_checksum(DATA + b"x", algorithm.value, text)


@pytest.mark.parametrize("algorithm", list(ChecksumAlgorithm))
def test_streaming_equals_one_go(algorithm: ChecksumAlgorithm) -> None:
    digest = new_digest(algorithm)
    for start in range(0, len(DATA), 777):
        digest.update(DATA[start : start + 777])
    assert digest.hexdigest() == checksum_of(algorithm, DATA)


def test_given_checksums_compare_case_insensitively() -> None:
    assert normalize("  ABCdef ") == "abcdef"
