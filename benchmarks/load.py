"""HTTP load over loopback: a real WSGI server (gunicorn) and a threaded keep-alive client.

The client opens one persistent HTTP/1.1 connection per thread and sends a bounded number of
requests per URL (and stops at a time limit), recording each request's latency and status.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class UrlResult:
    url: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict:
        ok = [lat for lat in self.latencies_ms]
        out = {
            "url": self.url,
            "requests": len(self.latencies_ms),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors[:3],
            "error_count": len(self.errors) + sum(v for k, v in self.statuses.items() if k >= 400),
            "rps": len(self.latencies_ms) / self.seconds if self.seconds else None,
        }
        if ok:
            out.update(p50=percentile(ok, 50), p95=percentile(ok, 95), p99=percentile(ok, 99), max=max(ok))
        return out


class Server:
    """gunicorn serving chainwatch on 127.0.0.1 with the benchmark database."""

    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 2, log_dir: Path | None = None):
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.threads = threads
        self.log = open((log_dir or Path("/tmp")) / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.process = subprocess.Popen(
            [gunicorn, "chainwatch.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads), "--timeout", "300",
             "--access-logfile", "-", "--log-level", "warning"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def load(port: int, url: str, *, cookie: str, requests: int, concurrency: int, max_seconds: float,
         warmup: int = 2, timeout: float = 120) -> UrlResult:
    """Send ``requests`` GETs of ``url`` from ``concurrency`` threads (stop at ``max_seconds``)."""
    headers = {"Cookie": cookie, "Accept": "text/html,application/json", "Accept-Language": "zh-hans",
               "Connection": "keep-alive"}
    result = UrlResult(url)
    lock = threading.Lock()
    remaining = [requests]
    deadline = [0.0]

    def one(conn: http.client.HTTPConnection) -> tuple[int, float]:
        started = time.perf_counter()
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000.0

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        while True:
            with lock:
                if remaining[0] <= 0 or time.monotonic() > deadline[0]:
                    break
                remaining[0] -= 1
            try:
                status, ms = one(conn)
            except Exception as exc:  # noqa: BLE001 — a failed request is a figure, not a crash
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                continue
            with lock:
                result.latencies_ms.append(ms)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        conn.close()

    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    for _ in range(warmup):
        try:
            one(warm)
        except Exception as exc:  # noqa: BLE001
            result.errors.append(f"warm-up {type(exc).__name__}: {exc}")
            break
    warm.close()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    deadline[0] = time.monotonic() + max_seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def server_env(database_url: str, data_dir: str) -> dict[str, str]:
    env = {**os.environ, "CHAINWATCH_DATABASE_URL": database_url, "CHAINWATCH_DATA_DIR": data_dir,
           "CHAINWATCH_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "chainwatch.settings"}
    env.pop("CHAINWATCH_PRODUCTION", None)
    return env
