"""A real Label Studio server for the integration tests, in its own virtual environment.

The server's Django pins never touch the project's environment: it lives in a venv at
$TALLY_LS_VENV (default ~/.cache/tally/label-studio-venv), installed with pip on first use.
Each test session starts it on 127.0.0.1 with a fresh data dir, a user and a legacy API token
from environment variables, telemetry and update checks off, and stops it by its PID.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

LS_VERSION = "1.23.2"
INSTALL_TIMEOUT = 1200
START_TIMEOUT = 240


def venv_dir() -> Path:
    env = os.environ.get("TALLY_LS_VENV")
    return Path(env) if env else Path.home() / ".cache" / "tally" / "label-studio-venv"


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def ensure_venv(log: Path) -> tuple[Path, float | None]:
    """The label-studio executable, installing it when missing; and the install time (s)."""
    venv = venv_dir()
    exe = venv / "bin" / "label-studio"
    if exe.exists():
        return exe, None
    t0 = time.monotonic()
    with log.open("ab") as fh:
        steps = [[sys.executable, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                  f"label-studio=={LS_VERSION}"]]
        for cmd in steps:
            rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                timeout=INSTALL_TIMEOUT).returncode
            if rc != 0:
                raise RuntimeError(f"`{' '.join(cmd)}` failed (exit {rc}); log tail:\n"
                                   f"{_tail(log)}")
    if not exe.exists():
        raise RuntimeError(f"{exe} missing after install; log tail:\n{_tail(log)}")
    return exe, time.monotonic() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    token: str
    username: str
    proc: subprocess.Popen
    log: Path
    install_seconds: float | None
    start_seconds: float

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_server(workdir: Path) -> Server:
    """Start Label Studio with a fresh data dir under `workdir`; RuntimeError with the log
    tail when installing or starting fails."""
    log = workdir / "label-studio.log"
    exe, install_s = ensure_venv(log)
    port = free_port()
    token = secrets.token_hex(20)
    user = "annotator@tally.test"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "HEARTEX_"))}
    env.pop("USERNAME", None)  # Label Studio also reads a bare USERNAME/PASSWORD
    env.pop("PASSWORD", None)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(workdir / "ls-data"),
        "LABEL_STUDIO_USERNAME": user,
        "LABEL_STUDIO_PASSWORD": secrets.token_hex(12),
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false", "LATEST_VERSION_CHECK": "false",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    })
    t0 = time.monotonic()
    fh = log.open("ab")
    proc = subprocess.Popen(
        [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
         "--enable-legacy-api-token"],
        stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=workdir, start_new_session=True)
    fh.close()
    deadline = t0 + START_TIMEOUT
    url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"label-studio exited with {proc.returncode}; log tail:\n"
                               f"{_tail(log)}")
        # The server silently moves to the next port when ours was taken meanwhile.
        m = re.search(r"Starting development server at (http://127\.0\.0\.1:\d+)/",
                      log.read_text(encoding="utf-8", errors="replace"))
        if m:
            url = m.group(1)
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as resp:
                    if resp.status == 200:
                        return Server(url, token, user, proc, log, install_s,
                                      time.monotonic() - t0)
            except OSError:
                pass
        time.sleep(1)
    server = Server(url or "", token, user, proc, log, install_s, time.monotonic() - t0)
    server.stop()
    raise RuntimeError(f"label-studio not healthy after {START_TIMEOUT}s; log tail:\n"
                       f"{_tail(log)}")
