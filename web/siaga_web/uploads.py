"""Reading an uploaded file only after sign-in, permission and CSRF have been checked.

A route that declares ``File()`` makes FastAPI read the whole body before any dependency runs;
routes taking a file depend on ``read_upload`` after their permission instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile

from siaga_platform.applications import importer
from siaga_platform.errors import InvalidInput
from siaga_platform.text import refuse_control_characters


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content: bytes


async def read_upload(request: Request) -> Upload:
    """The form's ``file`` field (the body size is already bounded per route)."""
    form = await request.form(max_files=1, max_fields=10)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInput("Pilih berkas CSV yang akan diimpor.", field="file")
    filename = file.filename or "impor.csv"
    refuse_control_characters(filename, field="file")  # stored with the job, shown on pages
    content = await file.read(importer.MAX_FILE_BYTES + 1)
    return Upload(filename, content)
