"""Fetch htmx for the image from the npm registry, as `make assets` does, without node.

The version and its sha512 come from package-lock.json (the file `npm ci` trusts), so the image
serves the very file the tests ran with; a tarball that does not match is refused.
Standard library only: it runs in the image's build stage before anything is installed.

    python3 infra/image/fetch_htmx.py package-lock.json web/siaga_web/static/vendor/htmx.min.js
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
PACKAGE = "htmx.org"
MEMBER = "package/dist/htmx.min.js"


def main(lock_file: str, target: str) -> None:
    locked = json.loads(Path(lock_file).read_text("utf-8"))["packages"][f"node_modules/{PACKAGE}"]
    version, integrity = locked["version"], locked["integrity"]
    url = locked.get("resolved") or f"{REGISTRY}/{PACKAGE}/-/{PACKAGE}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a fixed https URL
        tarball = response.read()
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if actual != expected:
        sys.exit(f"{url}: {algorithm} {actual} is not the {expected} of package-lock.json")
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            sys.exit(f"{url} has no {MEMBER}")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_bytes(member.read())
    print(f"htmx {version} → {target}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
