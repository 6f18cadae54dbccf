"""Domain errors: each carries its HTTP status and a message a clerk understands."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    #: Message in Bahasa Indonesia, safe to show (never contains personal data).
    message = "Permintaan tidak dapat diproses."
    #: True when the work done before the error must still be committed (e.g. a session that
    #: was found expired is recorded as ended, then the request answers "please sign in").
    keeps_work = False

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.message
        self.field = field
        super().__init__(self.message)


class InvalidInput(DomainError):
    status_code = 422
    message = "Data yang dikirim tidak valid."


class NotFound(DomainError):
    status_code = 404
    message = "Data tidak ditemukan."


class Forbidden(DomainError):
    status_code = 403
    message = "Anda tidak berhak melakukan ini."


class Conflict(DomainError):
    status_code = 409
    message = "Data sudah diubah oleh orang lain. Muat ulang halaman lalu coba lagi."
