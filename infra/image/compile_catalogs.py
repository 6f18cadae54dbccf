"""Compile every translation catalog (``locale/*/LC_MESSAGES/messages.po``) to its ``.mo``.

The same conversion the app does in memory at start-up (siaga_web.i18n: fuzzy messages left out,
the catalog's own fuzzy header ignored), so the image ships what the tests ran with, and a
catalog that does not parse fails the build instead of the first English page.

    python infra/image/compile_catalogs.py web/siaga_web/locale
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def main(locale_dir: str) -> None:
    catalogs = sorted(Path(locale_dir).glob("*/LC_MESSAGES/messages.po"))
    if not catalogs:
        sys.exit(f"no catalogs under {locale_dir}")
    for po_file in catalogs:
        language = po_file.parent.parent.name
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=language)
        with po_file.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog)
        print(f"{po_file.with_suffix('.mo')}: {len(catalog)} messages")


if __name__ == "__main__":
    main(sys.argv[1])
