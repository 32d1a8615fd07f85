"""The ``industryos`` command: ``run`` a node, ``migrate`` its database, ``--version``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from industryos import __version__
from industryos.config import ConfigError, Settings, load_settings
from industryos.data_dir_lock import hold_data_dir
from industryos.logs import configure_logging
from industryos.open_files import raise_open_file_limit
from industryos.start_refused import StartRefused

if TYPE_CHECKING:
    from industryos.node import Node


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="industryos", description=__doc__)
    parser.add_argument("--version", action="version", version=f"industryos {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("run", "start a node"), ("migrate", "apply database migrations")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--config", type=Path, help="YAML settings file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"industryos: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        with hold_data_dir(settings.data_dir):
            if args.command == "migrate":
                asyncio.run(_migrate(settings))
            else:
                _run(settings, args.config)
    except StartRefused as exc:
        print(f"industryos: cannot {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _migrate(settings: Settings) -> None:
    from industryos.storage.engine import check_reachable, create_engine
    from industryos.storage.first_start import first_start_turn
    from industryos.storage.migrate import current_revision, upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine)
        async with first_start_turn(engine):  # not while a starting node migrates
            await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()


def import_node() -> type[Node]:
    """Import the node without the cyclic collector, then freeze what the import built.

    The import builds ~250k long-lived objects and frees almost none (~1k objects of
    cyclic garbage), so the collector's passes over them during the import (~0.25 s) and
    in the full collection once ready (gc_tuning, ~0.15 s) are wasted start-up time.
    Only the serving process does this: freezing is process-wide and permanent.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        from industryos.node import Node
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    return Node


def _run(settings: Settings, config: Path | None) -> None:
    raise_open_file_limit()  # before the workers are spawned: they inherit it
    if settings.workers > 1:  # worker 0 spawns the others before it imports the node
        from industryos.workers.primary import run_workers

        run_workers(settings, config)
        return
    serving = import_node()(settings).run_until_signalled()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serving)
    else:
        uvloop.run(serving)


if __name__ == "__main__":
    sys.exit(main())
