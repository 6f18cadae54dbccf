"""Field-level encryption (AES-256-GCM) and keyed search hashes (HMAC-SHA256).

- Each ciphertext records the id of the key that made it, so keys can rotate: new values use the
  first key, old values still decrypt with theirs.
- The associated data binds a ciphertext to its tenant and field: a value copied into another
  tenant's row, or from the name column to the NIK column, does not decrypt.
- Search never decrypts: a NIK is found by the HMAC of its 16 digits, a name by the HMACs of its
  words (exact words, case- and accent-insensitive).
- Search keys rotate too: ``SIAGA_SEARCH_KEY`` is ``id:base64`` entries (a single bare value is
  key ``s0``), the first makes new hashes, and while older ones are still listed every lookup asks
  for the hashes under each of them, so a rotation in progress loses no search result.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siaga_platform.config import Settings

_NONCE_BYTES = 12
SEALED_PREFIX = "sealed:"


class KeyConfigError(ValueError):
    pass


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=b"siaga-dev", info=purpose).derive(
        secret.encode()
    )


#: The id of a search key given as a bare value (no ``id:``), which is how it was written before
#: search keys rotated; rows hashed under it carry this id.
BARE_SEARCH_KEY_ID = "s0"


def _parse_search_keys(raw: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key_id, colon, encoded = part.rpartition(":")
        if not colon:
            key_id = BARE_SEARCH_KEY_ID
        key = base64.b64decode(encoded)
        if not key_id or len(key) < 16 or key_id in keys:
            raise KeyConfigError(
                f"SIAGA_SEARCH_KEY entry '{key_id}': need id:base64(at least 16 bytes), ids unique"
            )
        keys[key_id] = key
    if not keys:
        raise KeyConfigError("SIAGA_SEARCH_KEY is empty")
    return keys


def _parse_keys(raw: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key_id, _, encoded = part.partition(":")
        key = base64.b64decode(encoded)
        if not key_id or len(key) != 32:
            raise KeyConfigError(f"SIAGA_FIELD_KEYS entry '{key_id}': need id:base64(32 bytes)")
        keys[key_id] = key
    if not keys:
        raise KeyConfigError("SIAGA_FIELD_KEYS is empty")
    return keys


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]
    #: Search keys by id, the current (first) one first.
    search_keys: dict[str, bytes]

    @property
    def search_id(self) -> str:
        return next(iter(self.search_keys))

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        secret = settings.secret_key.get_secret_value()
        if settings.field_keys is not None:
            keys = _parse_keys(settings.field_keys.get_secret_value())
        else:
            keys = {"dev1": _derive(secret, b"field-encryption")}
        search = (
            _parse_search_keys(settings.search_key.get_secret_value())
            if settings.search_key is not None
            else {BARE_SEARCH_KEY_ID: _derive(secret, b"search-index")}
        )
        return cls(current_id=next(iter(keys)), keys=keys, search_keys=search)


def _aad(tenant_id: uuid.UUID, field: str) -> bytes:
    return f"{tenant_id}:{field}".encode()


class FieldCipher:
    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._aead = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        return self._keyring.current_id

    def encrypt(self, plaintext: str, *, tenant_id: uuid.UUID, field: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead[self._keyring.current_id].encrypt(
            nonce, plaintext.encode("utf-8"), _aad(tenant_id, field)
        )
        return nonce + sealed

    def decrypt(self, blob: bytes, *, key_id: str, tenant_id: uuid.UUID, field: str) -> str:
        return self._open(blob, key_id, _aad(tenant_id, field))

    def _open(self, blob: bytes, key_id: str, aad: bytes) -> str:
        aead = self._aead.get(key_id)
        if aead is None:
            raise KeyConfigError(f"no key '{key_id}' in SIAGA_FIELD_KEYS (was it rotated out?)")
        return aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], aad).decode("utf-8")

    def seal(self, plaintext: str, *, owner: str, field: str) -> str:
        """A secret that is not a tenant's (a person's webhook key) as text for one column:
        ``sealed:<key id>:<base64>``, bound to its owner and field like ``encrypt``."""
        nonce = os.urandom(_NONCE_BYTES)
        aad = f"{owner}:{field}".encode()
        sealed = self._aead[self._keyring.current_id].encrypt(nonce, plaintext.encode(), aad)
        encoded = base64.b64encode(nonce + sealed).decode()
        return f"{SEALED_PREFIX}{self._keyring.current_id}:{encoded}"

    def unseal(self, value: str, *, owner: str, field: str) -> str:
        if not value.startswith(SEALED_PREFIX):
            raise KeyConfigError("not a sealed value")
        key_id, _, encoded = value.removeprefix(SEALED_PREFIX).partition(":")
        blob = base64.b64decode(encoded)
        return self._open(blob, key_id, f"{owner}:{field}".encode())

    @property
    def current_search_key_id(self) -> str:
        return self._keyring.search_id

    @property
    def search_key_ids(self) -> tuple[str, ...]:
        return tuple(self._keyring.search_keys)

    def search_hash(
        self, value: str, *, tenant_id: uuid.UUID, field: str, key_id: str | None = None
    ) -> str:
        """Keyed hash for exact lookups, per tenant (equal NIKs differ across tenants), under
        the current search key unless ``key_id`` names another."""
        key = self._keyring.search_keys[key_id or self._keyring.search_id]
        message = f"{tenant_id}:{field}:{value}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]

    def search_hashes(self, value: str, *, tenant_id: uuid.UUID, field: str) -> tuple[str, ...]:
        """What a lookup asks for: the hash under every search key still configured (one,
        except while a rotation is in progress), the current one first."""
        return tuple(
            self.search_hash(value, tenant_id=tenant_id, field=field, key_id=key_id)
            for key_id in self._keyring.search_keys
        )

    def word_hashes(
        self, text: str, *, tenant_id: uuid.UUID, key_id: str | None = None
    ) -> list[str]:
        return sorted(
            {
                self.search_hash(word, tenant_id=tenant_id, field="name-word", key_id=key_id)
                for word in words(text)
            }
        )

    def word_hash_sets(self, text: str, *, tenant_id: uuid.UUID) -> tuple[tuple[str, ...], ...]:
        """A name lookup: the words' hashes under each configured search key (a name's words
        are all under one key, so a row matches when it holds every hash of one set)."""
        return tuple(
            tuple(self.word_hashes(text, tenant_id=tenant_id, key_id=key_id))
            for key_id in self._keyring.search_keys
        )


def words(text: str) -> list[str]:
    """Normalised words of a name: lower case, accents removed, punctuation split off."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z0-9]+", folded) if len(w) >= 2]


def cipher_from_settings(settings: Settings) -> FieldCipher:
    return FieldCipher(Keyring.from_settings(settings))
