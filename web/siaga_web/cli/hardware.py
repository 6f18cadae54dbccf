"""Recording hardware: the sweep now, and the device agent on a recording PC."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from siaga_platform.db.engine import create_engine
from siaga_platform.tenancy.unit_of_work import create_session_factory
from siaga_web.cli.common import (
    UNREACHABLE,
    database_down_message,
    fail,
    load_settings,
)

hardware_app = typer.Typer(help="Recording hardware.", no_args_is_help=True)


@hardware_app.command("sweep")
def hardware_sweep() -> None:
    """Notice silent devices now (`siaga worker` does this every 30 seconds)."""
    from datetime import UTC, datetime

    from siaga_platform.hardware.outages import SweepReport
    from siaga_platform.hardware.watch import sweep_all

    settings = load_settings()

    async def main() -> SweepReport:
        engine = create_engine(settings.database_url)
        try:
            return await sweep_all(create_session_factory(engine), now=datetime.now(UTC))
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(main())
    except UNREACHABLE as error:
        fail(database_down_message(error))
    typer.echo(
        f"Perubahan status: {report.changes}, kejadian dibuka: {report.opened}, "
        f"ditutup: {report.closed}."
    )


def agent(
    config: Path = typer.Option(..., help="The agent's TOML configuration file."),
    requeue_kept_aside: bool = typer.Option(
        False, help="Put the beats kept aside (refused) back in the queue, then exit."
    ),
) -> None:
    """Run the device agent on a recording PC (see README, "The device agent")."""
    import logging

    from siaga_platform.hardware.agent import Agent, AgentConfig
    from siaga_platform.hardware.agent_queue import BeatQueue

    if not config.exists():
        fail(f"file konfigurasi {config} tidak ada.", code=2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    loaded = AgentConfig.load(config)
    if requeue_kept_aside:
        queue = BeatQueue.open(loaded.queue_file, max_beats=loaded.max_queued_beats)
        typer.echo(f"{queue.requeue_kept_aside()} denyut dikembalikan ke antrean.")
        return
    Agent(loaded).run_forever()
