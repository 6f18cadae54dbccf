"""Numbered pages of a list, the same on every list people page through (applications, letters,
the stock card): previous/next, the page count, the total, the page in the address."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

PAGE_PARAMETER = "halaman"
#: The most pages a list offers (deeper offsets get slow; filters narrow a list instead).
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    per_page: int
    prev_url: str | None
    next_url: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def pager(request: Request, *, total: int, page: int, per_page: int) -> Pager:
    """The page asked for (kept within the list), and the addresses of its neighbours: the
    same path and filters, another ``halaman``."""
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != PAGE_PARAMETER]

    def url(number: int) -> str:
        return f"{request.url.path}?{urlencode([*kept, (PAGE_PARAMETER, str(number))])}"

    return Pager(
        page=page,
        pages=pages,
        total=total,
        per_page=per_page,
        prev_url=url(page - 1) if page > 1 else None,
        next_url=url(page + 1) if page < pages else None,
    )
