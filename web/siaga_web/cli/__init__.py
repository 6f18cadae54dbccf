"""The ``siaga`` command: serve, db upgrade, tenants provision, demo seed, ...; one module per
command group (``db``, ``tenants``, ``demo``, ...), the top-level commands with theirs.

Every failure a user can cause or meet (bad settings, unknown code, database down) ends in one
line that says what to do, not a traceback (``common.fail``).
"""

from __future__ import annotations

import typer

from siaga_web.cli import backup, db, demo, hardware, keycloak, keys, serve, tenants, users

app = typer.Typer(
    help="Siaga: KTP-el operations for regency Dukcapil offices.", no_args_is_help=True
)
app.add_typer(db.db_app, name="db")
app.add_typer(keycloak.keycloak_app, name="keycloak")
app.add_typer(users.users_app, name="users")
app.add_typer(hardware.hardware_app, name="hardware")
app.add_typer(tenants.tenants_app, name="tenants")
app.add_typer(demo.demo_app, name="demo")
app.add_typer(keys.keys_app, name="keys")
for command in (
    serve.serve,
    serve.worker,
    backup.backup,
    backup.restore,
    serve.routes,
    hardware.agent,
):
    app.command()(command)
