"""The register's filters, as the pages, the API and the repository share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class RegisterFilter:
    statuses: tuple[str, ...] = ()
    reason: str | None = None
    kecamatan_code: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    #: A NIK's hashes under each configured search key (see FieldCipher.search_hashes).
    nik_hashes: tuple[str, ...] = ()
    #: A name's word hashes, one set per search key (see FieldCipher.word_hash_sets).
    name_word_hash_sets: tuple[tuple[str, ...], ...] = ()
