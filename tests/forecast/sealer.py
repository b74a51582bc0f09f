"""A tiny sealing process for the reliability tests (not a test module).

``kill URL N SEED``: N trials; each forks a child that seals rows until the parent SIGKILLs it
after a random delay; prints the JSON list of ids the children reported as committed.
``seal URL N TAG``: seal N rows and print their ids (run two at once for the concurrency test).
"""

import json
import os
import random
import signal
import sys
import time

from detente.forecast.ledger import open_ledger

QUESTION = {"id": "Q-RELIABILITY", "version": 1}


def seal(url: str, n: int, tag: str, out: int = 1) -> None:
    book = open_ledger(url)
    i = 0
    while n < 0 or i < n:
        row = book.append("forecast", QUESTION, tag, {"i": i}, {"seed": i}, {"p": 0.5}, {})
        os.write(out, f"{row['id']}\n".encode())
        i += 1


def kill_trials(url: str, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    open_ledger(url)  # create the schema before the first child and warm the caches
    committed: list[int] = []
    for t in range(n):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                seal(url, -1, f"trial-{t}", w)
            finally:
                os._exit(0)
        os.close(w)
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        chunks = []
        while chunk := os.read(r, 65536):
            chunks.append(chunk)
        os.close(r)
        lines = b"".join(chunks).decode().split("\n")[:-1]  # a cut-off last line is dropped
        committed += [int(x) for x in lines]
    return committed


if __name__ == "__main__":
    mode, url, count, arg = sys.argv[1:5]
    if mode == "kill":
        print(json.dumps(kill_trials(url, int(count), int(arg))))
    else:
        seal(url, int(count), arg)
