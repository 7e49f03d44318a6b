"""``openbss ocs``: the online charging system's network gateways."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from openbss.cli.common import clean_errors, err

if TYPE_CHECKING:
    import asyncio

    from openbss.charging.gy.server import GySettings

ocs_app = typer.Typer(
    help="Online charging: Diameter Gy and 5G Nchf gateways", no_args_is_help=True
)


@ocs_app.command("serve")
@clean_errors
def serve(
    diameter_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Diameter Gy TCP port (0: any free port)")
    ] = 3868,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    origin_host: Annotated[
        str, typer.Option(help="Our Diameter identity (Origin-Host)")
    ] = "ocs.openbss.local",
    origin_realm: Annotated[str, typer.Option(help="Our Diameter realm")] = "openbss.local",
    nchf_port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Also serve Nchf over HTTP on this port")
    ] = None,
    engine_threads: Annotated[
        int, typer.Option(min=1, max=256, help="Threads running charging requests")
    ] = 8,
    supervise_every: Annotated[
        float,
        typer.Option(
            min=0.0,
            help=(
                "Seconds between supervision rounds (silent sessions, expired reservations);"
                " usage records are written every 30 s (0: no background rounds)"
            ),
        ),
    ] = 10.0,
) -> None:
    """Serve Diameter Gy (RFC 4006) and optionally Nchf (TS 32.291) until interrupted.

    One charging engine serves both; several processes may share one database (balances are
    locked per owner). Prints a "ready" line per gateway with its port."""
    import asyncio
    import contextlib
    import signal

    from openbss.charging.gy.server import GySettings

    settings = GySettings(
        origin_host=origin_host, origin_realm=origin_realm, engine_threads=engine_threads
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await _serve(host, diameter_port, nchf_port, settings, supervise_every, stop)

    asyncio.run(main())
    err.print("stopped")


async def _serve(
    host: str,
    diameter_port: int,
    nchf_port: int | None,
    settings: GySettings,
    supervise_every: float,
    stop: asyncio.Event,
) -> None:
    import asyncio
    import logging

    import uvicorn

    from openbss.api.nchf_app import create_nchf_app
    from openbss.charging.engine.contract import ChargingEngine
    from openbss.charging.engine.workers import background_workers
    from openbss.charging.gy.server import GyServer
    from openbss.db.engine import make_engine, make_session_factory
    from openbss.kit.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    data_dir = get_settings().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    factory = make_session_factory(make_engine())
    engine = ChargingEngine(factory, data_dir=data_dir)
    gy = GyServer(engine, settings)
    await gy.start(host, diameter_port)
    err.print(f"ready: Diameter Gy on {host}:{gy.port} as {settings.origin_host}")
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(gy.serve_forever())]
    web: uvicorn.Server | None = None
    if nchf_port is not None:
        app = create_nchf_app(factory, engine)
        config = uvicorn.Config(app, host=host, port=nchf_port, log_level="warning", lifespan="off")
        web = uvicorn.Server(config)
        # uvicorn captures SIGINT/SIGTERM while it serves and raises them again when it has
        # stopped, which then stops the rest through the handlers installed by the command.
        tasks.append(asyncio.create_task(web.serve()))
        while not web.started:
            await asyncio.sleep(0.05)
        err.print(f"ready: Nchf on http://{host}:{nchf_port}/nchf-convergedcharging/v3")

    # Supervision of silent sessions, expired reservations and the usage records of ended
    # sessions run beside the gateways, in every process (each round is safe to run in many).
    workers = (
        background_workers(engine, factory, data_dir, supervise_every_s=supervise_every)
        if supervise_every > 0
        else []
    )
    for worker in workers:
        worker.start()
    await stop.wait()
    if web is not None:
        web.should_exit = True
    await gy.close()
    for worker in workers:
        await asyncio.to_thread(worker.stop)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
