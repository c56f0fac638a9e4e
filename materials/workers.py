"""PDF workers kept warm between builds: a small service of this user's, on a Unix socket.

A one-shot `invoke build` used to start its PDF workers from nothing: importing WeasyPrint and
readying a worker took about 0.8 s, several times what rendering one edited document costs.
So the first build starts the workers as a service of their own, which stays after the build
until it has been idle for MATERIALS_WORKERS_IDLE seconds (600 by default); later builds,
packs and `invoke serve` hand their PDFs to it and pay only for the rendering.

- Only this user can reach it: the socket is in a folder only this user may open
  (MATERIALS_WORKERS_DIR, else $XDG_RUNTIME_DIR/polarisation-materials, else
  /tmp/polarisation-materials-<uid>; mode 0700, checked), and both ends of every connection
  prove they know a random key kept there (multiprocessing's HMAC challenge).
- A service serves one version of the code, WeasyPrint, pikepdf and the settings that change
  a PDF's bytes: its name is their hash. After an edit to the code the next build starts a
  fresh service and the old one idles out, so a build's bytes never depend on the service.
- If the service cannot be reached, started or kept, the build renders in its own pool as it
  always did: the service can make a build faster, never make it fail.
- `invoke workers` lists the services, `invoke workers --stop` stops them, and
  MATERIALS_WORKERS_IDLE=0 turns the service off (every build then renders on its own).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import AuthenticationError, Client, Connection, answer_challenge, deliver_challenge
from pathlib import Path

PACKAGE = Path(__file__).parent
IDLE_SECONDS = 600.0
ENV_IDLE = "MATERIALS_WORKERS_IDLE"
ENV_DIR = "MATERIALS_WORKERS_DIR"
# What changes a PDF's bytes besides the job itself, so a service started with other values
# is a different service.
ENV_KEYS = ("SOURCE_DATE_EPOCH", "FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")
LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "pikepdf", "fontTools", "PIL")
START_TIMEOUT = 30.0


class ServiceLost(Exception):
    """The service went away (or its pool broke) during a request."""


def idle_seconds() -> float:
    """How long a service waits for work before it stops; 0 means no service."""
    value = os.environ.get(ENV_IDLE, "").strip()
    try:
        return max(0.0, float(value)) if value else IDLE_SECONDS
    except ValueError:
        return IDLE_SECONDS


def folder(create: bool = True) -> Path | None:
    """The services' private folder, or None when it is missing or not safe to use (not a
    folder of this user's, or others may open it); builds then render on their own."""
    if os.environ.get(ENV_DIR):
        path = Path(os.environ[ENV_DIR])
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "polarisation-materials"
    else:
        path = Path(tempfile.gettempdir()) / f"polarisation-materials-{os.getuid()}"
    try:
        if create:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    if len(os.fsencode(path)) > 80:  # a Unix socket's path holds at most 107 bytes
        return None
    return path


def service_name() -> str:
    """The hash of what a service's PDFs depend on besides the job: this package's code, the
    rendering libraries (path, size and time of each), the interpreter and ENV_KEYS."""
    from .incremental import code_hash

    h = hashlib.sha256(os.path.realpath(sys.executable).encode() + sys.version.encode() + code_hash().encode())
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec and spec.origin else ""
        info = os.stat(origin) if origin else None
        h.update(f"{name}:{origin}:{info and info.st_size}:{info and info.st_mtime_ns}".encode())
    for key in ENV_KEYS:
        h.update(f"{key}={os.environ.get(key, '')}".encode())
    return "pdf-" + h.hexdigest()[:16]


def _authkey(where: Path) -> bytes:
    """The folder's random key, made once (mode 0600; written whole before it appears)."""
    path = where / "key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".key-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
            os.link(tmp, path)
        except FileExistsError:
            pass  # another build made it first: use theirs
        finally:
            os.unlink(tmp)
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{path} is not this user's private key file")
    key = path.read_bytes()
    if len(key) != 32:
        raise OSError(f"{path} is damaged")
    return key


def _paths(where: Path, name: str) -> tuple[Path, Path, Path]:
    return where / f"{name}.sock", where / f"{name}.pid", where / f"{name}.log"


def connect(where: Path, name: str) -> Connection | None:
    """A connection to the running service, or None."""
    sock, _, _ = _paths(where, name)
    if not sock.exists():
        return None
    try:
        return Client(str(sock), family="AF_UNIX", authkey=_authkey(where))
    except (OSError, EOFError, AuthenticationError):
        return None


def connect_or_start(workers: int | None = None, on_start=None) -> Connection | None:
    """Connect to this code's service, starting it if none runs (then `on_start(idle seconds)`
    is called); None if that cannot be done."""
    idle = idle_seconds()
    where = folder()
    if not idle or where is None:
        return None
    try:
        name = service_name()
        conn = connect(where, name)
        if conn is not None:
            return conn
        # One starter at a time: a second build waits here, then finds the service running.
        with open(where / f"{name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            conn = connect(where, name)
            if conn is None:
                _authkey(where)
                started = subprocess.run(
                    [sys.executable, "-m", "materials.workers", str(where), name,
                     str(workers or os.cpu_count() or 1), str(idle)],
                    stdin=subprocess.DEVNULL, capture_output=True, timeout=START_TIMEOUT, cwd="/",
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE.parent), os.environ.get("PYTHONPATH")]))},
                )
                failed = where / f"{name}.failed"
                if started.returncode == 0:
                    failed.unlink(missing_ok=True)
                    conn = connect(where, name)
                    if conn is not None and on_start:
                        on_start(idle)
                else:  # kept for `invoke workers`, which shows why builds render on their own
                    failed.write_text(started.stderr.decode(errors="replace").strip() or "exit status "
                                      f"{started.returncode}", encoding="utf-8")
        return conn
    except (OSError, subprocess.SubprocessError):
        return None


def render(conn: Connection, jobs: list, parallel: int, on_result) -> None:
    """Have the service render `jobs`, at most `parallel` at a time; `on_result(key, data,
    seconds)` is called as each comes back. Raises ServiceLost if the service goes away (the
    results so far are kept), or the exception a job raised."""
    try:
        conn.send(("render", jobs, parallel))
        while True:
            reply = conn.recv()
            if reply[0] == "pdf":
                on_result(*reply[1:])
            elif reply[0] == "end":
                return
            elif reply[0] == "error":
                raise reply[1]
            else:  # "broken": a worker died; the service has replaced its pool
                raise ServiceLost(reply)
    except (OSError, EOFError) as exc:
        raise ServiceLost(exc) from exc


# -- the service ---------------------------------------------------------------------------


def render_timed(job) -> tuple[str, bytes | str, float]:
    from .pdf import render_pdf

    started = time.perf_counter()
    key, data = render_pdf(job)
    return key, data, time.perf_counter() - started


@dataclass
class Status:
    name: str
    pid: int
    workers: int
    started: float  # time.time()
    idle_for: float  # seconds since the last request ended (0 while one runs)
    idle_limit: float
    documents: int  # rendered since it started
    clients: int  # connected now


class Service:
    """The listening socket, the worker pool and the count of connected builds."""

    def __init__(self, where: Path, name: str, workers: int, idle: float):
        from .pdf import new_pool

        self.where, self.name, self.workers, self.idle = where, name, workers, idle
        self.sock_path, self.pid_path, _ = _paths(where, name)
        self.authkey = _authkey(where)
        self.lock = threading.Lock()
        self.clients, self.documents, self.last = 0, 0, time.monotonic()
        self.started, self.stopping = time.time(), False
        # The starter holds the lock and found no service answering: a socket left here is stale.
        self.sock_path.unlink(missing_ok=True)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.sock_path))
        os.chmod(self.sock_path, 0o600)
        self.listener.listen(16)
        self.listener.settimeout(min(1.0, max(idle / 4, 0.05)))
        self.pid_path.write_text(f"{os.getpid()}\n")
        self.new_pool = new_pool
        self.pool = new_pool(workers)

    def run(self) -> None:
        # `kill` (SIGTERM), a hang-up or Ctrl+C in a terminal stop it as `invoke workers --stop` does.
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, lambda *_: setattr(self, "stopping", True))
        try:
            while not self.stopping:
                try:
                    sock, _ = self.listener.accept()
                except socket.timeout:
                    with self.lock:
                        if not self.clients and time.monotonic() - self.last > self.idle:
                            break
                    continue
                sock.setblocking(True)
                with self.lock:
                    self.clients += 1
                threading.Thread(target=self.serve_client, args=(Connection(sock.detach()),), daemon=True).start()
        finally:
            self.close()

    def close(self) -> None:
        # Only remove the socket if it is still ours (a newer service may have taken the name).
        try:
            if int(self.pid_path.read_text()) == os.getpid():
                self.pid_path.unlink()
                self.sock_path.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass
        self.listener.close()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def status(self) -> Status:
        with self.lock:
            idle_for = 0.0 if self.clients > 1 else time.monotonic() - self.last
            return Status(self.name, os.getpid(), self.workers, self.started, idle_for, self.idle,
                          self.documents, self.clients - 1)

    def serve_client(self, conn: Connection) -> None:
        try:
            deliver_challenge(conn, self.authkey)
            answer_challenge(conn, self.authkey)
            while True:
                request = conn.recv()
                if request[0] == "render":
                    self.render(conn, list(request[1]), max(1, int(request[2])))
                elif request[0] == "status":
                    conn.send(self.status())
                elif request[0] == "stop":
                    self.stopping = True
                    conn.send(("stopping", os.getpid()))
                    return
        except (OSError, EOFError, AuthenticationError):
            pass  # the build ended (or was killed), or the caller did not know the key
        except Exception:  # a request we cannot read: drop this connection, keep serving
            import traceback

            traceback.print_exc()
        finally:
            conn.close()
            with self.lock:
                self.clients -= 1
                self.last = time.monotonic()

    def render(self, conn: Connection, jobs: list, parallel: int) -> None:
        running: dict = {}
        try:
            while jobs or running:
                while jobs and len(running) < parallel:
                    job = jobs.pop(0)
                    with self.lock:
                        pool = self.pool
                    running[pool.submit(render_timed, job)] = job
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.pop(future)
                    try:
                        key, data, seconds = future.result()
                    except BrokenProcessPool:
                        self.replace_pool(pool)
                        conn.send(("broken",))
                        return
                    except Exception as exc:  # the job's own error, shown to the build as it is
                        conn.send(("error", _picklable(exc)))
                        return
                    with self.lock:
                        self.documents += 1
                    conn.send(("pdf", key, data, seconds))
            conn.send(("end",))
        finally:
            for future in running:
                future.cancel()

    def replace_pool(self, broken) -> None:
        with self.lock:
            if self.pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self.pool = self.new_pool(self.workers)


def _picklable(exc: Exception) -> Exception:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _ask(where: Path, name: str, request: tuple):
    """One request to a service, and its reply; None if it does not answer."""
    conn = connect(where, name)
    if conn is None:
        return None
    with conn:
        try:
            conn.send(request)
            return conn.recv()
        except (OSError, EOFError):
            return None


def running(where: Path | None = None) -> list[tuple[str, Status | None]]:
    """Every service in the folder, with its status (None if it does not answer)."""
    where = where or folder(create=False)
    pid_files = sorted(where.glob("pdf-*.pid")) if where else []
    return [(p.stem, _ask(where, p.stem, ("status",))) for p in pid_files]


def failures(where: Path | None = None) -> dict[str, str]:
    """Services that could not start the last time a build tried, with the reason."""
    where = where or folder(create=False)
    found = {}
    for path in sorted(where.glob("pdf-*.failed")) if where else []:
        try:
            found[path.stem] = path.read_text(encoding="utf-8").strip()
        except OSError:
            continue
    return found


def stop(where: Path | None = None, timeout: float = 30.0) -> list[int]:
    """Stop every service in the folder and wait until they have gone; their pids."""
    where = where or folder(create=False)
    stopped = []
    for pid_file in sorted(where.glob("pdf-*.pid")) if where else []:
        reply = _ask(where, pid_file.stem, ("stop",))
        if reply is not None:
            stopped.append(reply[1])
            continue
        # Not answering: stuck, or a leftover of a service that was killed.
        pid = _service_pid(pid_file)
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)  # the service, its fork server and its workers
            stopped.append(pid)
        pid_file.unlink(missing_ok=True)
        where.joinpath(pid_file.stem + ".sock").unlink(missing_ok=True)
    deadline = time.monotonic() + timeout
    for pid in stopped:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    return stopped


def _service_pid(pid_file: Path) -> int | None:
    """The pid in a service's pid file, if that process is still this service (and leads its
    process group); None for a stale file, whose pid may since belong to another program."""
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"materials.workers" in cmdline and pid_file.stem.encode() in cmdline and os.getpgid(pid) == pid:
            return pid
    except (OSError, ValueError):
        pass
    return None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def process_tree(*roots: int) -> set[int]:
    """These processes and all their descendants, each once (Linux /proc)."""
    seen, stack = set(), list(roots)
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
        seen.add(p)
    return seen


def resident_kb(pid: int) -> int:
    """A process's resident memory (VmRSS) in kB; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
    except (OSError, ValueError):
        return 0


def tree_memory_mb(pid: int) -> float:
    """Resident memory of a process and its descendants."""
    return sum(resident_kb(p) for p in process_tree(pid)) / 1024


def main(argv: list[str]) -> int:
    """`python -m materials.workers FOLDER NAME WORKERS IDLE`: start a service in the background.

    Returns once the service listens (exit 0), or with the reason it could not (exit 1)."""
    where, name, workers, idle = Path(argv[0]), argv[1], int(argv[2]), float(argv[3])
    ready_r, ready_w = os.pipe()
    if os.fork():
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as fh:
            message = fh.read()
        if message == b"ready":
            return 0
        sys.stderr.write(message.decode(errors="replace") or "the PDF workers stopped while starting\n")
        return 1
    os.close(ready_r)
    os.setsid()  # its own session: the build's Ctrl+C or kill does not reach it
    try:
        # Standard streams go to the log first: the workers inherit them, and the starter's
        # pipes must close when this process says it is ready.
        log = os.open(_paths(where, name)[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        service = Service(where, name, workers, idle)
    except BaseException as exc:
        os.write(ready_w, f"{type(exc).__name__}: {exc}\n".encode())
        os._exit(1)
    os.write(ready_w, b"ready")
    os.close(ready_w)
    try:
        service.run()
    finally:
        os._exit(0)


if __name__ == "__main__":
    # Through the package's module, so what the service pickles is named materials.workers.X.
    from materials.workers import main as service_main

    sys.exit(service_main(sys.argv[1:]))
