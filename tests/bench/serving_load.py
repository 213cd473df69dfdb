"""A lean closed-loop HTTP/1.1 load generator on raw asyncio streams, for `bench_serving.py`.

    python tests/bench/serving_load.py REQUESTS.json --port P --concurrency C --seconds S

REQUESTS.json holds a list of request bodies (JSON values); client k of C sends body k, k+C,
k+2C, ... one at a time on one keep-alive connection to `POST /invocations`, for S seconds
after a short warm-up. It prints one JSON line: requests/s, p50 and p99 latency (ms, from the
first byte written to the last byte read), the statuses, the answers' X-Variant headers and
the errors. A generic HTTP client (httpx) costs so much CPU per request that on two cores it,
not the server, sets the pace at concurrency 64; this one costs tens of microseconds, and
both servers in the benchmark get the very same one.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from typing import Any

WARM_UP_S = 0.5


def encode(body: Any, host: str) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def read_answer(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise RuntimeError(f"an answer without Content-Length: {lines[0]!r}")
    body = await reader.readexactly(int(headers["content-length"]))
    return lines[0].split(" ", 2)[1], headers, body


async def run(host: str, port: int, bodies: list[bytes], concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    statuses: collections.Counter[str] = collections.Counter()
    variants: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    samples: list[str] = []
    start = time.perf_counter()
    measure_from = start + WARM_UP_S
    end = measure_from + seconds

    async def client(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        i = k
        while True:
            sent = time.perf_counter()
            if sent >= end:
                break
            try:
                writer.write(bodies[i % len(bodies)])
                await writer.drain()
                status, headers, body = await read_answer(reader)
            except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
                errors[type(exc).__name__] += 1
                writer.close()
                await asyncio.sleep(0.05)
                reader, writer = await asyncio.open_connection(host, port)
                continue
            if sent >= measure_from:
                latencies.append(time.perf_counter() - sent)
                statuses[status] += 1
                variants[headers.get("x-variant", "-")] += 1
                if status != "200" and len(samples) < 3:
                    samples.append(body[:300].decode(errors="replace"))
            i += concurrency
        writer.close()

    await asyncio.gather(*(client(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - measure_from
    latencies.sort()

    def percentile(q: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 3)

    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "statuses": dict(statuses),
        "variants": dict(variants),
        "errors": dict(errors),
        "error_samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests", help="a JSON file: a list of request bodies")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    with open(args.requests, encoding="utf-8") as file:
        bodies = [encode(body, args.host) for body in json.load(file)]
    result = asyncio.run(run(args.host, args.port, bodies, args.concurrency, args.seconds))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
