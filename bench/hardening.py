"""The web server under the attacks of issue [hardening], with figures (not a pass/fail test):
a real `quizbot run` (SQLite, PUBLIC_BASE_URL on loopback, a file limit of 1 024) against

1. N connections that never finish their headers, held S seconds, while a real webhook
   update and /healthz are sent every half second: answer times, open files, log growth;
2. a chunked body of 50 MB with the right secret: the answer, bytes pushed before it, the
   process's memory growth.

`python -m bench.hardening [--connections 1100] [--hold 20]`. Everything stays on loopback
and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.bootstrap import initialise
from tests.support.crashes import REPO
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import TOKEN, bot_settings, cli_environment
from tests.support.loopback import free_port

SECRET = "telegram-webhook-secret-for-bench"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
BODY_BYTES = 50_000_000


def limit_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def post(base: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(
        f"{base}/telegram/webhook",
        data=json.dumps(body).encode(),
        headers={HEADER: SECRET, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def memory_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def half_open(
    api: FakeBotApi, base: str, port: int, pid: int, log: Path, args: argparse.Namespace
) -> None:
    files_before, log_before = open_files(pid), log.stat().st_size
    attackers = []
    for _ in range(args.connections):
        attacker = socket.create_connection(("127.0.0.1", port), timeout=5)
        attacker.sendall(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Len")
        attackers.append(attacker)
    times, failures, most_files = [], 0, 0
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < args.hold:
        n += 1
        began = time.monotonic()
        update = {
            "update_id": 10_000 + n,
            "message": api.message(user_id=20_000 + n, text="/huongdan"),
        }
        ok = healthy(base) and post(base, update) == 200
        times.append(time.monotonic() - began)
        failures += not ok
        most_files = max(most_files, open_files(pid))
        time.sleep(0.5)
    for attacker in attackers:
        attacker.close()
    time.sleep(3)
    print(
        f"half-open: {args.connections} connections held {args.hold} s; "
        f"{len(times)} rounds (webhook post + /healthz), {failures} failed; "
        f"round time median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms; open files {files_before} before, "
        f"{most_files} at most, {open_files(pid)} after; log +{log.stat().st_size - log_before} B"
    )


def huge_body(port: int, pid: int) -> None:
    memory_before = memory_kb(pid)
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(
        b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\n"
        + f"{HEADER}: {SECRET}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    )
    chunk = b" " * 65_536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    try:
        while sent < BODY_BYTES and not select.select([connection], [], [], 0)[0]:
            connection.sendall(framed)
            sent += len(chunk)
    except OSError:
        pass
    connection.settimeout(10)
    try:
        status = connection.recv(64).split(b"\r\n")[0].decode()
    except OSError as error:
        status = f"({error})"
    connection.close()
    print(
        f"50 MB chunked body: {status!r} after {sent / 1e6:.1f} MB pushed; "
        f"memory +{(memory_kb(pid) - memory_before) / 1024:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--hold", type=float, default=20.0)
    args = parser.parse_args()
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (20_000, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    )
    with FakeBotApi(TOKEN) as api, tempfile.TemporaryDirectory() as folder:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = bot_settings(
            api,
            Path(folder),
            PUBLIC_BASE_URL=base,
            HTTP_PORT=str(port),
            TELEGRAM_WEBHOOK_SECRET=SECRET,
        )
        initialise(settings)
        env = cli_environment(
            settings,
            PUBLIC_BASE_URL=base,
            HTTP_PORT=str(port),
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            LOG_LEVEL="INFO",
        )
        log = Path(folder) / "bot.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                preexec_fn=limit_files,
            )
        try:
            deadline = time.monotonic() + 60
            while not (healthy(base) and api.webhook is not None):
                assert time.monotonic() < deadline and process.poll() is None, log.read_text()
                time.sleep(0.1)
            half_open(api, base, port, process.pid, log, args)
            huge_body(port, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
