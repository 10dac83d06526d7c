"""The `particula` command: serve, db upgrade, render, bench."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="particula", description="Particula, the online particle sandbox.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="start Particula (migrates the database first)")
    serve.add_argument("--host", help="address to listen on (default PARTICULA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default PARTICULA_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="app processes sharing the port (default PARTICULA_WORKERS or 1)")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="migrate the configured database to the newest schema")

    render = commands.add_parser("render", help="render a scene file's 400x300 WebP thumbnail")
    render.add_argument("scene", type=Path, help="the scene file (data.bin)")
    render.add_argument("-o", "--output", type=Path, required=True, help="where to write the WebP")

    bench = commands.add_parser("bench", help="run a benchmark (see docs/PERFORMANCE.md)")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    engine = bench_commands.add_parser("engine", help="engine ms/tick on the standard scenes")
    engine.add_argument("--quick", action="store_true", help="fewer ticks, for a smoke run")
    engine.add_argument("--write-docs", action="store_true", help="rewrite the engine section of PERFORMANCE.md")
    api = bench_commands.add_parser("api", help="HTTP load on a seeded server (10k users, 100k scenes, 1M likes)")
    api.add_argument("--quick", action="store_true", help="a small data set and short runs, for a smoke run")
    api.add_argument("--write-docs", action="store_true", help="rewrite the API section of PERFORMANCE.md")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if _is_expected(error):
            print(f"particula: {error}", file=sys.stderr)
            return 1
        raise


def _is_expected(error: Exception) -> bool:
    """Errors whose message is the whole story (bad config, a service down, a bad file): no traceback."""
    from particula.config import ConfigError
    from particula.embedded import EmbeddedError
    from particula.engine.scenefile import SceneFileError
    from particula.serve import StartupError

    expected = (ConfigError, EmbeddedError, StartupError, SceneFileError, OSError)
    return isinstance(error, expected)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from particula.config import load_settings
        from particula.serve import serve

        settings = load_settings()
        port = settings.port if args.port is None else args.port
        serve(settings, host=args.host or settings.host, port=port, workers=args.workers or settings.workers)
        return 0
    if args.command == "db":
        return _db_upgrade()
    if args.command == "render":
        from particula.commands.render import render_scene_file

        render_scene_file(args.scene, args.output)
        print(f"wrote {args.output}")
        return 0
    report = Path("docs/PERFORMANCE.md") if args.write_docs else None
    if args.bench_command == "api":
        from particula.commands.bench_api import run_api_bench

        return run_api_bench(quick=args.quick, report=report)
    from particula.commands.bench import run_engine_bench

    return run_engine_bench(sizes_quick=args.quick, report=report)


def _db_upgrade() -> int:
    from particula.config import load_settings
    from particula.db import migrate
    from particula.embedded import data_dir_lock, prepare_data_dir, running_postgres

    settings = load_settings()
    if settings.database_url is not None:
        migrate.upgrade(settings.database_url)
        print("database is at the newest schema")
        return 0
    data_dir = prepare_data_dir(settings.data_dir)
    with data_dir_lock(data_dir), running_postgres(data_dir) as database_url:
        migrate.upgrade(database_url)
    print(f"embedded database in {data_dir} is at the newest schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
