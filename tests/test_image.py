"""The container image builds and its commands work: `make image`'s script, then the image run
the way its config says (entrypoint, env, working dir, user) in a chroot on the host network,
against the throwaway PostgreSQL: `db upgrade`, then `serve` answering /readyz and /healthz,
then `worker` starting and stopping on SIGTERM.

No container runtime can start containers on these machines (infra/compose/README.md); mounting
the image and chrooting into it runs the very files `podman run` would.
Takes ~3 min cold (the Debian base, the dependencies), ~20 s when nothing changed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.fixtures.databases import APP, OWNER, DatabaseTemplates, service_missing

pytestmark = pytest.mark.image

REPO_ROOT = Path(__file__).resolve().parents[1]
TAG = "localhost/siaga:test"
APP_UID = 10001


@dataclass
class MountedImage:
    root: Path
    config: dict[str, object]

    def command(
        self, args: list[str], environment: dict[str, str], entrypoint: list[str] | None = None
    ) -> list[str]:
        """What `podman run IMAGE args` would run: the image's env, working dir and user."""
        env = [*self.config["Env"], *(f"{k}={v}" for k, v in environment.items())]  # type: ignore[misc]
        user = str(self.config["User"])
        if entrypoint is None:
            entrypoint = list(self.config["Entrypoint"])  # type: ignore[call-overload]
        return [
            "chroot",
            f"--userspec={user}",
            str(self.root),
            "/usr/bin/env",
            "-i",
            "-C",
            str(self.config["WorkingDir"]),
            *env,
            *entrypoint,
            *args,
        ]


def _require_builders() -> None:
    missing = [tool for tool in ("buildah", "podman", "mmdebstrap") if not shutil.which(tool)]
    if missing:
        service_missing(f"{', '.join(missing)} (Debian packages: make system-packages)")
    if os.geteuid() != 0:
        service_missing("root, which buildah's chroot build and the smoke test's chroot need")


@pytest.fixture(scope="module")
def image() -> Iterator[MountedImage]:
    _require_builders()
    built = subprocess.run(
        ["infra/image/build.sh", TAG], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1200
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    inspected = subprocess.run(
        ["podman", "image", "inspect", TAG], capture_output=True, text=True, check=True
    )
    config = json.loads(inspected.stdout)[0]["Config"]
    container = subprocess.run(
        ["buildah", "from", "--pull=never", TAG], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        root = subprocess.run(
            ["buildah", "mount", container], capture_output=True, text=True, check=True
        ).stdout.strip()
        yield MountedImage(Path(root), config)
    finally:
        subprocess.run(["buildah", "umount", container], capture_output=True)
        subprocess.run(["buildah", "rm", container], capture_output=True)


@pytest.fixture
def production_env(templates: DatabaseTemplates) -> Iterator[dict[str, str]]:
    """Production settings for an empty database (the image says SIAGA_ENVIRONMENT=production)."""
    if not templates.postgres_available:
        service_missing("PostgreSQL (make test starts a throwaway cluster)")
    name = templates.create_empty_pg_database()

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    yield {
        "SIAGA_DATABASE_URL": templates.pg_url(name, APP),
        "SIAGA_MIGRATION_DATABASE_URL": templates.pg_url(name, OWNER),
        "SIAGA_SECRET_KEY": secrets.token_urlsafe(48),
        "SIAGA_FIELD_KEYS": f"k1:{key()}",
        "SIAGA_SEARCH_KEY": key(),
        # Production refuses the development default: letters print this address.
        "SIAGA_BASE_URL": "https://siaga.example.go.id",
    }
    templates.admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _compose_healthcheck(service: str) -> list[str]:
    compose = yaml.safe_load((REPO_ROOT / "infra/compose/compose.yaml").read_text())
    test: list[str] = compose["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return test


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def test_image_holds_the_app_the_assets_and_the_catalogs(image: MountedImage) -> None:
    app = image.root / "app"
    assert image.config["User"] == f"{APP_UID}:{APP_UID}"
    assert image.config["Entrypoint"] == ["/app/.venv/bin/siaga"]
    assert list(image.config["Cmd"])[:1] == ["serve"]  # type: ignore[call-overload]
    assert "SIAGA_ENVIRONMENT=production" in image.config["Env"]  # type: ignore[operator]
    htmx = (app / "web/siaga_web/static/vendor/htmx.min.js").read_bytes()
    assert b"htmx" in htmx and len(htmx) > 10_000
    assets = REPO_ROOT / "web/siaga_web/static/vendor/htmx.min.js"
    if assets.exists():  # `make assets` (npm ci) ran here: the image has the very same file
        assert htmx == assets.read_bytes()
    assert (app / "web/siaga_web/locale/en/LC_MESSAGES/messages.mo").stat().st_size > 1000
    # Nothing of the checkout beyond what runs: no tests, no venv of the host, no git.
    for absent in ("tests", ".git", "var/pgtest", "node_modules", "infra"):
        assert not (app / absent).exists(), absent
    # The app's files are root's: the unprivileged user can write only /app/var.
    assert (app / "web").stat().st_uid == 0
    assert (app / "var").stat().st_uid == APP_UID


def test_image_migrates_serves_and_runs_the_worker(
    image: MountedImage, production_env: dict[str, str]
) -> None:
    upgrade = subprocess.run(
        image.command(["db", "upgrade"], production_env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Database siap" in upgrade.stdout

    port = _free_port()
    serve_args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        image.command(serve_args, production_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert ready is not None, f"serve never answered: {server.poll()=}"
        assert ready.status_code == 200, ready.text
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        # The English catalog ships and is used (the pages are written in Indonesian).
        page = httpx.get(f"{base}/masuk", cookies={"siaga_lang": "en"}, timeout=10)
        assert page.status_code == 200 and "Sign in to Siaga" in page.text, page.text[:500]
        htmx = httpx.get(f"{base}/static/vendor/htmx.min.js", timeout=5)
        assert htmx.status_code == 200 and "htmx" in htmx.text
        # chroot execs the entrypoint: the server is this pid, running as the image's user.
        assert Path(f"/proc/{server.pid}").stat().st_uid == APP_UID
    finally:
        code = _stop(server)
        output = server.stdout.read() if server.stdout else ""
    # uvicorn shuts down gracefully, then re-raises SIGTERM as its exit status.
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in output, output

    worker = subprocess.Popen(
        image.command(["worker", "--name", "image-test"], production_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(worker.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if any("worker image-test berjalan" in line for line in lines):
                break
            time.sleep(0.2)
        time.sleep(2)  # it opens the queue and takes its periodic tasks
        assert worker.poll() is None, "".join(lines)
        assert any("worker image-test berjalan" in line for line in lines), "".join(lines)
        # The compose file's health check of the worker, run in the image, sees it beating.
        check = _compose_healthcheck("worker")
        healthy = subprocess.run(
            image.command(check[1:], production_env, entrypoint=[]),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert healthy.returncode == 0, healthy.stderr
    finally:
        code = _stop(worker)
        reader.join(timeout=5)
    assert code == 0, "".join(lines)
