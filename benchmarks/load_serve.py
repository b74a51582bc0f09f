"""Load test of ``detente serve`` with locust, on loopback only, bounded in time and requests.

    python benchmarks/load_serve.py --users 20 --seconds 20

Starts ``detente serve scenarios/`` on 127.0.0.1 (a free port), drives it with ``--users``
concurrent locust users (each sends its next request as soon as the last is answered) for at
most ``--seconds`` or ``--max-requests``, and prints requests per second and the p50 / p95
latency of each main endpoint, then stops the server. Nothing leaves the machine.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # locust runs on gevent: patch before anything opens a socket

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


class Analyst(FastHttpUser):
    """What the dashboard asks for: lists, a scenario, a negotiation, a war simulation."""

    wait_time = constant(0)

    @task(4)
    def scenarios(self) -> None:
        self.client.get("/api/scenarios", name="GET /api/scenarios")

    @task(3)
    def describe(self) -> None:
        self.client.get("/api/scenarios/ukraine-2025", name="GET /api/scenarios/{name}")

    @task(2)
    def models(self) -> None:
        self.client.get("/api/models", name="GET /api/models")

    @task(2)
    def negotiate(self) -> None:
        self.client.post("/api/negotiate", json={"scenario": "bdm1994-emissions",
                                                 "model": "eum"},
                         name="POST /api/negotiate (eum)")

    @task(1)
    def simulate(self) -> None:
        self.client.post("/api/simulate", json={"scenario": "ukraine-2025", "runs": 500},
                         name="POST /api/simulate (500 runs)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    path = f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.Popen([sys.executable, "-c", "from detente.cli import main; main()",
                             "serve", str(ROOT / "scenarios"), "--host", HOST, "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/api/models", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start: " + proc.stderr.read().decode()[-2000:])


def _warm(port: int) -> None:
    """One request of each kind first, so that imports and caches are not in the figures."""
    for path, body in (("/api/negotiate", {"scenario": "bdm1994-emissions", "model": "eum"}),
                       ("/api/simulate", {"scenario": "ukraine-2025", "runs": 500})):
        req = urllib.request.Request(f"http://{HOST}:{port}{path}", json.dumps(body).encode(),
                                     {"content-type": "application/json"})
        urllib.request.urlopen(req, timeout=120).read()


def run(users: int, seconds: float, max_requests: int) -> dict:
    port = _free_port()
    server = _start_server(port)
    try:
        _warm(port)
        env = Environment(user_classes=[Analyst], host=f"http://{HOST}:{port}", events=events)
        runner = env.create_local_runner()
        runner.start(users, spawn_rate=users)
        started = time.monotonic()
        while (time.monotonic() - started < seconds
               and env.stats.total.num_requests < max_requests):
            gevent.sleep(0.2)
        elapsed = time.monotonic() - started
        runner.quit()
        rows = {}
        for (name, _method), entry in sorted(env.stats.entries.items()):
            rows[name] = {"requests": entry.num_requests, "failures": entry.num_failures,
                          "rps": round(entry.num_requests / elapsed, 1),
                          "p50_ms": entry.get_response_time_percentile(0.5),
                          "p95_ms": entry.get_response_time_percentile(0.95)}
        total = env.stats.total
        return {"users": users, "seconds": round(elapsed, 1), "endpoints": rows,
                "total": {"requests": total.num_requests, "failures": total.num_failures,
                          "rps": round(total.num_requests / elapsed, 1),
                          "p50_ms": total.get_response_time_percentile(0.5),
                          "p95_ms": total.get_response_time_percentile(0.95)}}
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long")
    parser.add_argument("--max-requests", type=int, default=20_000, help="at most this many")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(args.users, min(args.seconds, 60.0), args.max_requests)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"detente serve on {HOST}, {result['users']} concurrent users, {result['seconds']} s")
    print(f"{'endpoint':34} {'requests':>8} {'fail':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for name, r in {**result["endpoints"], "all": result["total"]}.items():
        print(f"{name:34} {r['requests']:8d} {r['failures']:5d} {r['rps']:7.1f} "
              f"{r['p50_ms']:7.0f} {r['p95_ms']:7.0f}")


if __name__ == "__main__":
    main()
