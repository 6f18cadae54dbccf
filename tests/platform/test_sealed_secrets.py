"""A person's webhook secret is sealed with the field keys: it opens only for its owner and
field, with the key that made it, after the current key changed."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidTag

from siaga_platform.privacy.crypto import FieldCipher, KeyConfigError, Keyring

SECRET = "rahasia-jembatan-provinsi-abcdefghij0123456789"


def _cipher(*key_ids: str, keys: dict[str, bytes] | None = None) -> FieldCipher:
    keys = keys or {key_id: os.urandom(32) for key_id in key_ids}
    return FieldCipher(
        Keyring(current_id=key_ids[0], keys=keys, search_keys={"s0": os.urandom(32)})
    )


def test_a_sealed_secret_opens_for_its_owner_only() -> None:
    cipher = _cipher("k1")
    sealed = cipher.seal(SECRET, owner="ana", field="webhook_secret")
    assert sealed.startswith("sealed:k1:") and SECRET not in sealed
    assert SECRET.encode() not in base64.b64decode(sealed.split(":", 2)[2])
    assert cipher.unseal(sealed, owner="ana", field="webhook_secret") == SECRET
    with pytest.raises(InvalidTag):  # copied into another person's row
        cipher.unseal(sealed, owner="budi", field="webhook_secret")
    with pytest.raises(KeyConfigError):  # a value saved as typed is not taken as sealed
        cipher.unseal(SECRET, owner="ana", field="webhook_secret")


def test_a_secret_sealed_before_a_key_rotation_still_opens() -> None:
    old = _cipher("k1")
    sealed = old.seal(SECRET, owner="ana", field="webhook_secret")
    keys = {"k2": os.urandom(32), "k1": old._keyring.keys["k1"]}
    rotated = _cipher("k2", "k1", keys=keys)
    assert rotated.unseal(sealed, owner="ana", field="webhook_secret") == SECRET
    assert rotated.seal(SECRET, owner="ana", field="webhook_secret").startswith("sealed:k2:")
    with pytest.raises(KeyConfigError):  # the old key rotated out
        _cipher("k2").unseal(sealed, owner="ana", field="webhook_secret")
