"""The fork server 预加载进程 of `baton up`: one process that has imported every service's
modules once and forks a child per service (first start and every restart), so a restart
skips Python's start-up and imports, most of a restart on a loaded machine, and the
children share the imported code's memory pages.

Nothing runs in the fork server but imports: no thread, no connection, no event loop, no
settings read, so a child starts as clean as a new interpreter, and builds its own
application, pools and loop in `main()` as it always did. The server forks twice, so a
child is not the fork server's: `baton up` is a child subreaper (PR_SET_CHILD_SUBREAPER)
and becomes its parent when the middle process exits. `baton up` then waits for it like
any child, the child still dies with `baton up` (PR_SET_PDEATHSIG, set once reparented),
and the fork server can die and be started again without touching the children it forked.
`baton up` falls back to spawning a new interpreter whenever the fork server is not ready.

Protocol, over a UNIX socket pair, one JSON object a line: the server says
`{"ready": pid}` once its imports are done; each request `{"name", "module", "env",
"log"}` gets `{"pid": pid}` or `{"error": text}`.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import json
import logging
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from deploy.supervisor import pid_alive

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
MODULES_ENV = "BATON_FORKSERVER_MODULES"
REPARENT_WAIT = 5.0  # seconds a new child waits to be `baton up`'s


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return False
    return int(libc.prctl(option, value, 0, 0, 0)) == 0


_subreaper_users = 0
_subreaper_lock = threading.Lock()


def set_subreaper(on: bool = True) -> bool:
    """Make this process the parent of orphaned descendants (Linux), or stop once no
    platform of this process needs it (tests run several); False if it cannot."""
    global _subreaper_users
    with _subreaper_lock:
        if on:
            if _subreaper_users == 0 and not _prctl(PR_SET_CHILD_SUBREAPER, 1):
                return False
            _subreaper_users += 1
            return True
        _subreaper_users = max(0, _subreaper_users - 1)
        return _subreaper_users > 0 or _prctl(PR_SET_CHILD_SUBREAPER, 0)


def title_of(name: str, module: str) -> str:
    """What `ps` shows for a child: the command line a spawned one would have."""
    return f"{sys.executable} -m {module} {name}"


# --- in `baton up` ------------------------------------------------------------------------


class Forked:
    """A child forked by the fork server, and reparented to us: the part of
    `subprocess.Popen` the supervisor uses, on waitpid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None:
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:  # not ours after all: alive or not, by signal 0
                    if not pid_alive(self.pid):
                        self.returncode = 255
                else:
                    if pid:
                        self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(title_of(str(self.pid), ""), timeout or 0)
            time.sleep(0.02)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """`baton up`'s end: starts the server process and asks it for children."""

    def __init__(
        self,
        modules: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        on_unusable: Callable[[str], None] | None = None,
    ) -> None:
        self.modules = list(modules)
        # Told why, when the server cannot serve at all (its imports started a thread).
        self.on_unusable = on_unusable
        self.unusable: str | None = None
        self.env = dict(env)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = threading.Event()
        self._sock: socket.socket | None = None
        self._reader: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._log: IO[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        """Start (or start again) the server; it is ready once its imports are done."""
        from deploy.up import _die_with_parent

        with self._lock:
            self._close()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            if self._log is None:
                self._log = open(self.log_path, "ab")  # noqa: SIM115 closed in close()
            try:
                self.process = subprocess.Popen(
                    # The modules not on the command line: `ps` would take it for theirs.
                    [sys.executable, "-m", "deploy.forkserver", str(theirs.fileno())],
                    env={**self.env, MODULES_ENV: ",".join(self.modules)},
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(theirs.fileno(),),
                    process_group=0,  # see _become
                    preexec_fn=_die_with_parent,
                )
            finally:
                theirs.close()
            self._sock, self._reader = ours, ours.makefile("rb")
            self.ready.clear()
            threading.Thread(
                target=self._await_ready,
                args=(self._reader,),
                name="forkserver-ready",
                daemon=True,
            ).start()
            return self.process

    def _await_ready(self, reader: IO[bytes]) -> None:
        try:
            line = reader.readline()
        except (OSError, ValueError):
            return
        said = json.loads(line) if line else {}
        if "ready" in said:
            self.ready.set()
        elif "unusable" in said:
            self.unusable = str(said["unusable"])
            if self.on_unusable is not None:
                self.on_unusable(self.unusable)

    def spawn(
        self, name: str, module: str, env: Mapping[str, str], log_path: Path, wait: float = 0.0
    ) -> Forked | None:
        """A child running `module` as `name`, or None when the server is not ready within
        `wait` seconds or fails (then it is killed; the supervisor starts it again)."""
        deadline = time.monotonic() + wait
        while not self.ready.wait(min(0.1, wait)):
            process = self.process
            if process is None or process.poll() is not None or time.monotonic() >= deadline:
                return None
        with self._lock:
            if self._sock is None or self._reader is None or self.process is None:
                return None
            if self.process.poll() is not None:
                self.ready.clear()
                return None
            request = {"name": name, "module": module, "env": dict(env), "log": str(log_path)}
            try:
                self._sock.settimeout(10.0)
                self._sock.sendall(json.dumps(request).encode() + b"\n")
                answer = json.loads(self._reader.readline() or b"{}")
            except (OSError, ValueError) as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            if "pid" in answer:
                return Forked(int(answer["pid"]))
            log.warning("fork server failed for %s: %s", name, answer.get("error"))
            self.ready.clear()
            self.process.kill()
            return None

    def _close(self) -> None:
        for part in (self._reader, self._sock):
            if part is not None:
                part.close()
        self._sock = self._reader = None

    def close(self) -> None:
        with self._lock:
            self._close()
            if self._log is not None:
                self._log.close()
                self._log = None


# --- in the fork server -------------------------------------------------------------------


def serve(fd: int, modules: Sequence[str]) -> int:
    """Import `modules`, say so, and fork a child per request until `baton up` hangs up."""
    gc.disable()  # no collection may touch the objects the children will share
    # setproctitle takes over the memory of argv and environ on its first call: with
    # environ as the process got it, not as a child rewrites it.
    _set_title(title_of("forkserver", "deploy.forkserver"))
    started = time.monotonic()
    for module in modules:
        importlib.import_module(module)
    sock = socket.socket(fileno=fd)
    reader, writer = sock.makefile("rb"), sock.makefile("wb")
    if threading.active_count() != 1:
        # A thread does not survive a fork (and a lock it holds stays held): `baton up`
        # stops restarting the fork server and spawns every child instead.
        names = ", ".join(thread.name for thread in threading.enumerate())
        print(f"fork server: the imports started threads ({names})", flush=True)
        writer.write(json.dumps({"unusable": f"imports started threads: {names}"}).encode())
        writer.write(b"\n")
        writer.flush()
        return 3
    gc.freeze()
    owner = os.getppid()
    print(
        f"fork server: imported {len(modules)} modules in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    writer.write(json.dumps({"ready": os.getpid()}).encode() + b"\n")
    writer.flush()
    for line in reader:
        request = json.loads(line)
        try:
            answer: dict[str, Any] = {"pid": _fork(request, owner, (fd,))}
        except Exception as exc:  # told to `baton up`, which spawns instead
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        writer.write(json.dumps(answer).encode() + b"\n")
        writer.flush()
    return 0


def _fork(request: dict[str, Any], owner: int, close: Sequence[int]) -> int:
    """Fork twice: the grandchild runs the service; the middle process tells its pid and
    exits, which hands the grandchild to `owner` (the subreaper)."""
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        code = 0
        try:
            os.close(read_end)
            child = os.fork()
            if child == 0:
                os.close(write_end)
                _become(request, owner, close)  # never returns
            os.write(write_end, str(child).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        told = pipe.read()
    os.waitpid(middle, 0)
    if not told:
        raise RuntimeError("the middle process died before forking")
    return int(told)


def _become(request: dict[str, Any], owner: int, close: Sequence[int]) -> None:
    """In the grandchild: become `baton up`'s child `name`, run its module's main, exit."""
    code = 1
    try:
        for fd in close:
            os.close(fd)
        # A group of its own, so Ctrl-C reaches `baton up` alone (it stops the children in
        # order), in `baton up`'s session: Linux shares the CPU between sessions first
        # (autogroups), and a background thread's nice value counts only within its own
        # (a consumer's thread at nice 10 in a session of its own took as much CPU as
        # intake's requests).
        os.setpgid(0, 0)
        deadline = time.monotonic() + REPARENT_WAIT
        while os.getppid() != owner and time.monotonic() < deadline:
            time.sleep(0.001)
        # Only now: the death of the middle process must not be taken for `baton up`'s.
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != owner:
            os._exit(1)  # `baton up` is gone, or never was our subreaper
        log_fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.close(null)
        name, module = request["name"], request["module"]
        _set_title(title_of(name, module))
        os.environ.clear()
        os.environ.update(request["env"])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.argv = [module, name]
        gc.enable()
        # As `python -m module` runs it: `__main__` is the module (the audit witness is
        # named after it); its imports are the fork server's, already done.
        # (Its own module object is dropped first, as `python -m` never imported it.)
        sys.modules.pop(module, None)
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _set_title(title: str) -> None:
    try:
        from setproctitle import setproctitle
    except ImportError:
        return
    setproctitle(title)


if __name__ == "__main__":
    raise SystemExit(serve(int(sys.argv[1]), os.environ[MODULES_ENV].split(",")))
