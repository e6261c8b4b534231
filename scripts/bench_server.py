#!/usr/bin/env python3
"""Load benchmark of `attend serve` (not run in CI).

    python3 scripts/bench_server.py [--attend .build/release/attend] [--seconds 10] [--threads 2] [--write]

Starts `attend serve --port 0 --threads T` itself (stderr to a temporary file, so that its
per-request log lines never wait on this process), then measures:

  offline anchors — sentences/s of `attend embed --threads T` on the same N = 512 single
                    sentences fed on stdin (the run with N sentences minus the run with 1, so the
                    model load cancels out; best of 2), and of the server's /v1/embeddings with
                    all N sentences in one request (best of 3);
  embeddings      — one-sentence requests at concurrency 1, 8, 32, 128 for --seconds each, from
                    asyncio workers on raw HTTP/1.1 keep-alive connections (one each; no openai
                    client, whose overhead would dominate): requests/s, p50/p99 latency, and the
                    ratio to each offline anchor (target ≥ 0.70 at concurrency 32);
  chat            — greedy streams (temperature 0, max_tokens 64, each a different short prompt)
                    at concurrency 1, 4, 8 for --seconds each: generated tokens/s (the SSE content
                    chunks timestamped inside the window; usage's completion_tokens is shown
                    beside), p50/p99 time to the first content chunk, and tokens/s at 8 over 1
                    (target ≥ 3×);
  memory          — the server's peak RSS (VmHWM) at the end.

The 512 sentences come from templates filled with a seeded random.Random, so every run embeds
the same text. The client runs on the same machine as the server (its CPU time competes with
the server's --threads); its own CPU seconds are printed with each table.

Each table carries the 1-minute load average before and after each row; a table whose load
before its first row is above 1.2 is marked LOADED MACHINE. The Markdown goes to stdout, and
to docs/server-benchmark.md only with --write.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOADED = 1.2
LISTENING = re.compile(r"listening on http://[^:\s]+:(\d+)")
EMBEDDING_ID = "all-MiniLM-L6-v2"
CHAT_ID = "SmolLM2-135M-Instruct"


# ---------------------------------------------------------------------------------------------
# Inputs


def make_sentences(n: int = 512, seed: int = 512) -> list[str]:
    rng = random.Random(seed)
    subjects = ["The old fisherman", "A young engineer", "My grandmother", "The city council", "Every morning the baker",
                "A curious child", "The orchestra", "Our new neighbour", "The tired pilot", "A small robot",
                "The museum guide", "Two students"]
    verbs = ["repaired", "described", "photographed", "forgot about", "carefully measured", "painted", "argued over",
             "celebrated", "lost", "rediscovered", "sold", "studied"]
    objects = ["a broken lighthouse", "the quarterly budget", "an ancient map of the valley", "three silver spoons",
               "the last train to the coast", "a recipe for plum cake", "the northern glacier",
               "a strange noise in the attic", "the results of the election", "a forgotten violin"]
    tails = ["", " before sunrise", " during the storm", " for nearly an hour", " without telling anyone",
             " while the rain kept falling", " in the crowded market", " after a long and difficult week",
             " near the old stone bridge", " with surprising patience"]
    forms = [
        "{s} {v} {o}{t}.",
        "Yesterday, {s_l} {v} {o}{t}.",
        "Why has {s_l} {v} {o}{t}?",
        "{s} {v} {o}, and then {s2_l} {v2} {o2}{t}.",
        "Nobody expected that {s_l} {v} {o}{t}.",
    ]
    out = []
    for i in range(n):
        s, s2 = rng.choice(subjects), rng.choice(subjects)
        text = rng.choice(forms).format(
            s=s, s_l=s[0].lower() + s[1:], s2_l=s2[0].lower() + s2[1:], v=rng.choice(verbs), v2=rng.choice(verbs),
            o=rng.choice(objects), o2=rng.choice(objects), t=rng.choice(tails))
        out.append(text)
    return out


def make_prompts(n: int = 64, seed: int = 64) -> list[str]:
    rng = random.Random(seed)
    asks = ["Tell me a fact about", "Write two sentences about", "Explain briefly what you know about",
            "Give me a tip related to", "Describe", "Write a short poem about"]
    things = ["the moon", "volcanoes", "bread baking", "penguins", "the Roman empire", "electric cars", "chess",
              "honeybees", "the ocean", "rainbows", "libraries", "mountains", "coffee", "trains", "owls",
              "gardening"]
    return [f"{rng.choice(asks)} {rng.choice(things)}. (#{i})" for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Machine and load


def load1() -> float:
    return os.getloadavg()[0]


def load_text() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    try:
        info = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        info = ""
    fields = {}
    for line in info.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    name = fields.get("Model name", "unknown CPU")
    return (f"{name} (family {fields.get('CPU family', '?')}, model {fields.get('Model', '?')}), "
            f"{os.cpu_count()} logical CPUs")


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# Server


class Server:
    def __init__(self, attend: str, threads: int) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="attend-serve-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [attend, "serve", "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = None

    def wait_ready(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = Path(self.log.name).read_text(errors="replace")
            match = LISTENING.search(text)
            if match:
                self.port = int(match.group(1))
                return self.port
            if self.process.poll() is not None:
                raise RuntimeError(f"attend serve exited {self.process.returncode}:\n{text[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("attend serve did not print its listening line in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


# ---------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 keep-alive client


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def send(self, path: str, body: bytes) -> None:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)

    async def head(self) -> tuple[int, dict[str, str]]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        return status, headers

    async def body(self, headers: dict[str, str]) -> bytes:
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"]))
        out = b""
        async for piece in self.chunks():
            out += piece
        return out

    async def chunks(self):
        """The pieces of a chunked body, as they arrive."""
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return
            data = await self.reader.readexactly(size)
            await self.reader.readexactly(2)
            yield data

    async def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        self.send(path, json.dumps(payload).encode())
        status, headers = await self.head()
        return status, await self.body(headers)


# ---------------------------------------------------------------------------------------------
# Measurements


def offline_cli(attend: str, sentences: list[str], threads: int) -> float:
    """Sentences/s of `attend embed` on stdin: (N − 1) / (t(N) − t(1)), best of 2 each."""
    def timed(lines: list[str]) -> float:
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run([attend, "embed", "--threads", str(threads)], input="\n".join(lines) + "\n", text=True,
                           capture_output=True, check=True)
            best = min(best, time.perf_counter() - start)
        return best
    one = timed(sentences[:1])
    many = timed(sentences)
    return (len(sentences) - 1) / max(many - one, 1e-9)


async def offline_server(port: int, sentences: list[str], fmt: str) -> float:
    conn = Connection(port)
    await conn.open()
    try:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            status, _ = await conn.post("/v1/embeddings", {"model": EMBEDDING_ID, "input": sentences,
                                                           "encoding_format": fmt})
            assert status == 200, status
            best = min(best, time.perf_counter() - start)
        return len(sentences) / best
    finally:
        conn.close()


async def embedding_load(port: int, sentences: list[str], concurrency: int, seconds: float, fmt: str) -> dict:
    latencies: list[float] = []
    errors = 0
    counter = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(index: int) -> None:
        nonlocal errors, counter
        conn = Connection(port)
        await conn.open()
        try:
            while time.perf_counter() < deadline:
                sentence = sentences[counter % len(sentences)]
                counter += 1
                t0 = time.perf_counter()
                status, _ = await conn.post("/v1/embeddings", {"model": EMBEDDING_ID, "input": [sentence],
                                                               "encoding_format": fmt})
                t1 = time.perf_counter()
                if status != 200:
                    errors += 1
                elif t1 <= deadline:
                    latencies.append(t1 - t0)
        finally:
            conn.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return {"requests": len(latencies), "rps": len(latencies) / seconds, "errors": errors,
            "p50": percentile(latencies, 50) * 1e3, "p99": percentile(latencies, 99) * 1e3}


async def chat_load(port: int, prompts: list[str], concurrency: int, seconds: float, max_tokens: int) -> dict:
    chunk_times: list[float] = []
    ttfts: list[float] = []
    usage_tokens = 0
    finished = 0
    errors = 0
    counter = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(index: int) -> None:
        nonlocal usage_tokens, finished, errors, counter
        conn = Connection(port)
        await conn.open()
        try:
            while time.perf_counter() < deadline:
                prompt = prompts[counter % len(prompts)]
                counter += 1
                t0 = time.perf_counter()
                conn.send("/v1/chat/completions", json.dumps({
                    "model": CHAT_ID, "messages": [{"role": "user", "content": prompt}], "temperature": 0,
                    "max_tokens": max_tokens, "stream": True, "stream_options": {"include_usage": True}}).encode())
                status, headers = await conn.head()
                if status != 200:
                    await conn.body(headers)
                    errors += 1
                    continue
                first = None
                buffer = b""
                async for piece in conn.chunks():
                    now = time.perf_counter()
                    buffer += piece
                    while b"\n\n" in buffer:
                        event, buffer = buffer.split(b"\n\n", 1)
                        if not event.startswith(b"data: ") or event == b"data: [DONE]":
                            continue
                        chunk = json.loads(event[6:])
                        if chunk.get("usage"):
                            usage_tokens += chunk["usage"]["completion_tokens"]
                        for choice in chunk.get("choices", []):
                            if choice["delta"].get("content"):
                                chunk_times.append(now)
                                if first is None:
                                    first = now
                                    ttfts.append(now - t0)
                finished += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    end = time.perf_counter()
    in_window = sum(1 for t in chunk_times if t <= deadline)
    return {"tps": in_window / seconds, "usage_tps": usage_tokens / (end - start), "requests": finished,
            "errors": errors, "p50": percentile(ttfts, 50) * 1e3, "p99": percentile(ttfts, 99) * 1e3,
            "tail": end - deadline}


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attend", default=str(ROOT / ".build/release/attend"))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--format", choices=["base64", "float"], default="base64",
                        help="encoding_format of the embedding requests (the openai client's default is base64)")
    parser.add_argument("--write", action="store_true", help="write the tables to docs/server-benchmark.md")
    args = parser.parse_args()
    attend = str(Path(args.attend).resolve())
    sentences = make_sentences(args.sentences)
    prompts = make_prompts()

    print(f"load average at start: {load_text()} ({os.cpu_count()} cores)", flush=True)
    lines: list[str] = []
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines += ["# attend serve: load benchmark", "",
              f"- machine: {machine()}", f"- date: {date}",
              f"- server: `attend serve --threads {args.threads}` (the client runs on the same machine)",
              f"- command: `python3 scripts/bench_server.py --seconds {args.seconds:g} --threads {args.threads}`", ""]

    def flag(load: float) -> str:
        return " — **LOADED MACHINE**" if load > LOADED else ""

    # Offline anchor through the CLI (before the server exists, so nothing else runs).
    load_before = load1()
    cli_rate = offline_cli(attend, sentences, args.threads)
    load_after = load1()

    server = Server(attend, args.threads)
    try:
        port = server.wait_ready()
        print(f"attend serve on port {port} (pid {server.process.pid})", flush=True)
        # Warm-up: first requests touch the weights and allocate buffers.
        asyncio.run(offline_server(port, sentences[:32], args.format))
        asyncio.run(chat_load(port, prompts, 1, 0.5, 8))
        s_before = load1()
        one_request = asyncio.run(offline_server(port, sentences, args.format))
        s_after = load1()

        anchor = [f"## Offline embedding anchors ({len(sentences)} sentences){flag(load_before)}", "",
                  "| anchor | sentences/s | load before | load after |", "|---|---:|---:|---:|",
                  f"| `attend embed` on stdin (N − 1 run) | {cli_rate:.1f} | {load_before:.2f} | {load_after:.2f} |",
                  f"| server, all {len(sentences)} in one /v1/embeddings request | {one_request:.1f} | "
                  f"{s_before:.2f} | {s_after:.2f} |", ""]
        print("\n".join(anchor), flush=True)
        lines += anchor

        table_load = load1()
        cpu0 = client_cpu()
        rows = []
        for concurrency in (1, 8, 32, 128):
            before = load1()
            r = asyncio.run(embedding_load(port, sentences, concurrency, args.seconds, args.format))
            after = load1()
            rows.append(
                f"| {concurrency} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['rps'] / cli_rate:.2f} | "
                f"{r['rps'] / one_request:.2f} | {r['errors']} | {before:.2f} | {after:.2f} |")
            print(rows[-1], flush=True)
        cpu = client_cpu() - cpu0
        table = [f"## One-sentence embedding requests ({args.seconds:g} s each, encoding_format {args.format})"
                 + flag(table_load), "",
                 f"Load at start {table_load:.2f}; client CPU {cpu:.1f} s over {4 * args.seconds:g} s. "
                 "Ratios: requests/s over the offline anchors (target ≥ 0.70 at concurrency 32).", "",
                 "| concurrency | requests/s | p50 ms | p99 ms | ÷ `attend embed` | ÷ one request | errors | "
                 "load before | load after |",
                 "|---:|---:|---:|---:|---:|---:|---:|---:|---:|", *rows, ""]
        print("\n".join(table), flush=True)
        lines += table

        table_load = load1()
        cpu0 = client_cpu()
        rows = []
        base = None
        for concurrency in (1, 4, 8):
            before = load1()
            r = asyncio.run(chat_load(port, prompts, concurrency, args.seconds, 64))
            after = load1()
            base = base or r["tps"] or 1e-9
            rows.append(
                f"| {concurrency} | {r['tps']:.1f} | {r['usage_tps']:.1f} | {r['p50']:.0f} | {r['p99']:.0f} | "
                f"{r['tps'] / base:.2f}× | {r['requests']} | {r['errors']} | {before:.2f} | {after:.2f} |")
            print(rows[-1], flush=True)
        cpu = client_cpu() - cpu0
        table = [f"## Greedy chat streams (max_tokens 64, {args.seconds:g} s each)" + flag(table_load), "",
                 f"Load at start {table_load:.2f}; client CPU {cpu:.1f} s. tokens/s counts the SSE content chunks "
                 "inside the window; usage tokens/s is completion_tokens over the whole run including the tail "
                 "of the last requests. Target: tokens/s at 8 ≥ 3× at 1.", "",
                 "| concurrency | tokens/s | usage tokens/s | TTFT p50 ms | TTFT p99 ms | × concurrency 1 | requests | "
                 "errors | load before | load after |",
                 "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", *rows, ""]
        print("\n".join(table), flush=True)
        lines += table

        rss = peak_rss_mb(server.process.pid)
        tail = [f"Server peak RSS (VmHWM): {rss:.0f} MiB." if rss else "Server peak RSS: unavailable.",
                f"Load average at the end: {load_text()}.", ""]
        print("\n".join(tail), flush=True)
        lines += tail
    finally:
        server.stop()

    if args.write:
        out = ROOT / "docs" / "server-benchmark.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines))
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
