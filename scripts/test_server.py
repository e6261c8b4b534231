#!/usr/bin/env python3
"""End-to-end test of `attend serve` (the OpenAI-compatible HTTP server) with the official
`openai` Python package and raw sockets.

    python3 scripts/test_server.py [--attend .build/release/attend]

Starts two servers on free loopback ports (`--port 0`; the port is read from the
"listening on" line, at most 120 s for loading the models):
  main   — the default models (all-MiniLM-L6-v2 and SmolLM2-135M-Instruct), default limits;
  small  — embeddings only, `--max-body-bytes 65536 --api-key KEY --idle-timeout 2`.
and checks, one PASS/FAIL line each (with the numbers):
  models      — GET /v1/models lists both ids; GET /health and GET /metrics answer 200;
  embeddings  — a list of sentences equals `attend embed --json` of the same sentences (1e-6 max
                abs), the float64 reference Tests/Fixtures/models/minilm.json (1e-4; the empty
                text is refused as OpenAI does, the 256-token one is sent with "truncate": true),
                and the base64 / client-default formats equal the float one bit for bit;
  chat        — a greedy answer (temperature 0, max_tokens 24) equals
                `attend generate --chat --max-tokens 24`; the streamed deltas equal it too and the
                last chunk with a choice carries finish_reason;
  concurrency — 64 concurrent one-sentence embedding requests each equal their solo answer
                (1e-6); 8 concurrent greedy chats each equal their solo answer exactly;
  hostile     — malformed, oversized and wrong requests over raw sockets each get a 4xx with an
                OpenAI error body ({"error": {"message": …}}), and GET /health is 200 after each;
  connections — a 400 then two pipelined GETs on one keep-alive connection; a body refused (413)
                for its declared length is never parsed as further requests; three streams
                whose clients leave mid-answer stop using the CPU and leave the next answer
                unchanged;
  api key     — 401 without / with a wrong bearer token, 200 with the right one (openai client);
  stalled     — a client that stops mid-body is disconnected after --idle-timeout, and one
                stalled again does not hold up SIGTERM (the small server exits 0 promptly);
  SIGTERM     — 4 chats in flight (max_tokens 64) all finish with 200 after SIGTERM, the server
                exits 0 within 30 s, and its port then refuses connections.

Exit status 0 only when every check passes. Servers are killed in a `finally` block whatever
happens. Installs the `openai` package with pip when it is missing.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMBEDDING_ID = "all-MiniLM-L6-v2"
CHAT_ID = "SmolLM2-135M-Instruct"
API_KEY = "test-key-7f3a9c"
SMALL_BODY_LIMIT = 65536
LISTENING = re.compile(r"listening on http://[^:\s]+:(\d+)")

SENTENCES = [
    "A man saw a person with a telescope.",
    "The quick brown fox jumps over the lazy dog.",
    "Transformers compute attention over every pair of tokens.",
    "Héllo, Wörld! Crème brûlée à la carte.",
    "I love pizza 🍕 and sushi 🍣!",
    "In 1969, 3.14159 and 2,718 people paid $1,234.56 on 2024-01-01.",
]

CHAT_PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Give me three tips for sleeping well.",
    "Explain what a transformer model is in one sentence.",
    "What is 12 times 7?",
    "Name a famous painting and its painter.",
    "Why is the sky blue?",
    "Suggest a name for a grey cat.",
]


# ---------------------------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        print(f"{'PASS' if ok else 'FAIL'} {name}" + (f" — {detail}" if detail else ""), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok

    def error(self, name: str, exc: BaseException) -> None:
        self.check(name, False, f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------------------------
# Servers


class Server:
    """`attend serve --port 0 …` as a child process; stderr is drained by a thread."""

    def __init__(self, attend: str, extra: list[str], name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self.port: int | None = None
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [attend, "serve", "--host", "127.0.0.1", "--port", "0", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            match = LISTENING.search(line)
            if match and self.port is None:
                self.port = int(match.group(1))
                self.ready.set()
        self.ready.set()  # EOF: the process ended (wait_ready sees port None)

    def wait_ready(self, timeout: float = 120) -> int:
        if not self.ready.wait(timeout) or self.port is None:
            tail = "\n".join(self.lines[-10:])
            raise RuntimeError(f"{self.name} server did not print its listening line within {timeout:.0f} s "
                               f"(exit status {self.process.poll()}); stderr:\n{tail}")
        return self.port

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            pass


# ---------------------------------------------------------------------------------------------
# Raw HTTP


def raw_exchange(port: int, head: bytes, body_chunks: list[bytes] = (), timeout: float = 30) -> tuple:
    """Sends `head` then `body_chunks` (from a thread, so that an early answer is read even while
    the body is still going out) and reads one response. Returns (status or None, headers, body
    bytes, note); status None means the connection closed (or was reset) with no response."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    note = ""
    try:
        sock.sendall(head)

        def send_body() -> None:
            try:
                for chunk in body_chunks:
                    sock.sendall(chunk)
            except OSError:
                pass

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        data = b""
        status = None
        headers: dict[str, str] = {}
        body = b""
        try:
            while b"\r\n\r\n" not in data:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
            if b"\r\n\r\n" in data:
                head_bytes, body = data.split(b"\r\n\r\n", 1)
                lines = head_bytes.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                if "content-length" in headers:
                    want = int(headers["content-length"])
                    while len(body) < want:
                        part = sock.recv(65536)
                        if not part:
                            break
                        body += part
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    while not body.endswith(b"0\r\n\r\n"):
                        part = sock.recv(65536)
                        if not part:
                            break
                        body += part
                    body = dechunk(body)
            elif data:
                note = f"unparsable answer {data[:80]!r}"
        except ConnectionResetError:
            note = "connection reset"
        except socket.timeout:
            note = "timed out"
        sender.join(5)
        return status, headers, body, note
    finally:
        sock.close()


def dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


def request_head(method: str, path: str, body: bytes | None, extra: dict[str, str] | None = None,
                 content_length: int | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if body is not None or content_length is not None:
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {content_length if content_length is not None else len(body)}")
    for key, value in (extra or {}).items():
        lines.append(f"{key}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def http_json(port: int, method: str, path: str, payload=None, headers: dict[str, str] | None = None,
              timeout: float = 60) -> tuple[int, object]:
    """A plain http.client request; returns (status, parsed JSON or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = None if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        response = conn.getresponse()
        data = response.read()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data.decode("utf-8", "replace")
    finally:
        conn.close()


def health(port: int) -> int | None:
    try:
        return http_json(port, "GET", "/health", timeout=15)[0]
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# Helpers


def max_abs(a, b) -> float:
    if len(a) != len(b):
        return float("inf")
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def as_floats(embedding) -> list[float]:
    """An embedding as the openai client returned it: a list, or the base64 string itself."""
    if isinstance(embedding, str):
        raw = base64.b64decode(embedding)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return [float(x) for x in embedding]


def to_float32(values) -> list[float]:
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def run(cmd: list[str], stdin: str | None = None, timeout: float = 120) -> str:
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} … exited {result.returncode}: {result.stderr.strip()[-400:]}")
    return result.stdout


def ensure_openai():
    try:
        import openai  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--break-system-packages", "-q", "openai"],
                       check=True)
    import openai
    return openai


# ---------------------------------------------------------------------------------------------
# Checks


def check_models(report: Report, client, port: int) -> None:
    ids = sorted(model.id for model in client.models.list().data)
    report.check("models.list lists both ids", ids == sorted([EMBEDDING_ID, CHAT_ID]), f"ids {ids}")
    status = health(port)
    report.check("GET /health", status == 200, f"status {status}")
    status, text = http_json(port, "GET", "/metrics")
    report.check("GET /metrics", status == 200 and isinstance(text, str) and len(text) > 0,
                 f"status {status}, {len(text)} chars")


def check_embeddings(report: Report, client, attend: str) -> None:
    response = client.embeddings.create(model=EMBEDDING_ID, input=SENTENCES, encoding_format="float")
    served = [as_floats(item.embedding) for item in sorted(response.data, key=lambda d: d.index)]
    cli = json.loads(run([attend, "embed", "--json", *SENTENCES]))["embeddings"]
    worst = max(max_abs(a, b) for a, b in zip(served, cli)) if len(served) == len(cli) else float("inf")
    report.check("embeddings == attend embed --json", len(served) == len(SENTENCES) and worst <= 1e-6,
                 f"{len(served)} sentences, dim {len(served[0])}, max abs {worst:.2e} (≤ 1e-6)")

    # Alias and model id in the answer.
    alias = client.embeddings.create(model="minilm", input=SENTENCES[0], encoding_format="float")
    report.check("embeddings via alias 'minilm'", alias.model == EMBEDDING_ID
                 and max_abs(as_floats(alias.data[0].embedding), served[0]) <= 1e-6,
                 f"model {alias.model!r}")

    fixture = json.loads((ROOT / "Tests/Fixtures/models/minilm.json").read_text())
    limit = fixture["max_length"]
    cases = [case for case in fixture["cases"] if case["text"] != ""]
    short = [case for case in cases if len(case["ids"]) < limit]
    long = [case for case in cases if len(case["ids"]) >= limit]
    got = []
    if short:
        r = client.embeddings.create(model=EMBEDDING_ID, input=[c["text"] for c in short], encoding_format="float")
        got += [as_floats(d.embedding) for d in sorted(r.data, key=lambda d: d.index)]
    if long:
        r = client.embeddings.create(model=EMBEDDING_ID, input=[c["text"] for c in long], encoding_format="float",
                                     extra_body={"truncate": True})
        got += [as_floats(d.embedding) for d in sorted(r.data, key=lambda d: d.index)]
    errors = [max_abs(g, c["embedding"]) for g, c in zip(got, short + long)]
    worst = max(errors)
    report.check("embeddings == float64 fixture minilm.json", len(got) == len(cases) and worst <= 1e-4,
                 f"{len(cases)} texts ({len(long)} at the {limit}-token limit, truncate: true), "
                 f"max abs {worst:.2e} (≤ 1e-4); the empty text is refused (checked with the hostile requests)")

    b64 = client.embeddings.create(model=EMBEDDING_ID, input=SENTENCES, encoding_format="base64")
    kinds = {type(d.embedding).__name__ for d in b64.data}
    decoded = [as_floats(d.embedding) for d in sorted(b64.data, key=lambda d: d.index)]
    exact = all(a == to_float32(b) for a, b in zip(decoded, served)) and len(decoded) == len(served)
    report.check("embeddings base64 == float (bit for bit)", exact,
                 f"client returned {','.join(sorted(kinds))}; max abs {max(max_abs(a, b) for a, b in zip(decoded, served)):.1e}")

    default = client.embeddings.create(model=EMBEDDING_ID, input=SENTENCES)  # the client asks base64, decodes
    decoded = [as_floats(d.embedding) for d in sorted(default.data, key=lambda d: d.index)]
    exact = all(to_float32(a) == to_float32(b) for a, b in zip(decoded, served)) and len(decoded) == len(served)
    report.check("embeddings, client default format == float", exact,
                 f"usage prompt_tokens {default.usage.prompt_tokens}")

    dims = client.embeddings.create(model=EMBEDDING_ID, input=SENTENCES[0], encoding_format="float", dimensions=64)
    vector = as_floats(dims.data[0].embedding)
    norm = sum(x * x for x in vector) ** 0.5
    report.check("embeddings dimensions=64", len(vector) == 64 and abs(norm - 1) < 1e-5,
                 f"length {len(vector)}, norm {norm:.6f}")


def solo_chat(client, prompt: str, max_tokens: int) -> tuple[str, str]:
    r = client.chat.completions.create(model=CHAT_ID, messages=[{"role": "user", "content": prompt}],
                                       temperature=0, max_tokens=max_tokens)
    return r.choices[0].message.content, r.choices[0].finish_reason


def check_chat(report: Report, client, attend: str) -> None:
    prompt = CHAT_PROMPTS[0]
    reference = run([attend, "generate", "--chat", "--max-tokens", "24", prompt])
    if reference.endswith("\n"):
        reference = reference[:-1]
    response = client.chat.completions.create(model=CHAT_ID, messages=[{"role": "user", "content": prompt}],
                                              temperature=0, max_tokens=24)
    content = response.choices[0].message.content
    report.check("chat greedy == attend generate --chat --max-tokens 24", content == reference,
                 f"{response.usage.completion_tokens} tokens, finish {response.choices[0].finish_reason}, "
                 f"{content!r}" + ("" if content == reference else f" vs CLI {reference!r}"))

    chunks = list(client.chat.completions.create(
        model=CHAT_ID, messages=[{"role": "user", "content": prompt}], temperature=0, max_tokens=24, stream=True,
        stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    with_choice = [c for c in chunks if c.choices]
    last_reason = with_choice[-1].choices[0].finish_reason if with_choice else None
    usage = next((c.usage for c in chunks if c.usage), None)
    report.check("chat stream deltas == non-streamed content", text == content,
                 f"{len(chunks)} chunks" + ("" if text == content else f"; {text!r}"))
    report.check("chat stream: finish_reason in last choice chunk", last_reason == response.choices[0].finish_reason,
                 f"finish_reason {last_reason!r}; usage {usage.completion_tokens if usage else None} tokens")

    alias = client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": prompt}],
                                           temperature=0, max_tokens=24)
    report.check("chat via alias 'smollm2'", alias.choices[0].message.content == content and alias.model == CHAT_ID,
                 f"model {alias.model!r}")


def check_concurrent_embeddings(report: Report, client) -> None:
    import random
    rng = random.Random(64)
    subjects = ["The cat", "A scientist", "My neighbour", "The old train", "Every student", "The river", "A robot",
                "The committee"]
    verbs = ["painted", "measured", "forgot", "followed", "described", "repaired", "ignored", "celebrated"]
    objects = ["the bright moon", "a broken clock", "three red apples", "the quiet library", "an unusual theory",
               "the northern coast", "a tiny violin", "forty-two reasons"]
    sentences = [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} on day {i}." for i in range(64)]

    def one(sentence: str) -> list[float]:
        r = client.embeddings.create(model=EMBEDDING_ID, input=[sentence], encoding_format="float")
        return as_floats(r.data[0].embedding)

    solo = [one(s) for s in sentences]
    start = time.monotonic()
    with ThreadPoolExecutor(64) as pool:
        together = list(pool.map(one, sentences))
    elapsed = time.monotonic() - start
    worst = max(max_abs(a, b) for a, b in zip(solo, together))
    report.check("64 concurrent embedding requests == solo", worst <= 1e-6,
                 f"max abs {worst:.2e} (≤ 1e-6), {elapsed:.2f} s for 64")


def check_concurrent_chats(report: Report, client, max_tokens: int = 24) -> None:
    solo = [solo_chat(client, p, max_tokens) for p in CHAT_PROMPTS]
    start = time.monotonic()
    with ThreadPoolExecutor(len(CHAT_PROMPTS)) as pool:
        together = list(pool.map(lambda p: solo_chat(client, p, max_tokens), CHAT_PROMPTS))
    elapsed = time.monotonic() - start
    differ = [i for i, (a, b) in enumerate(zip(solo, together)) if a != b]
    report.check(f"{len(CHAT_PROMPTS)} concurrent greedy chats == solo (exact)", not differ,
                 f"{elapsed:.2f} s together; " + ("all equal" if not differ else
                                                  "; ".join(f"#{i}: {solo[i]!r} vs {together[i]!r}" for i in differ)))


def hostile_requests(port: int, small_port: int) -> list[tuple]:
    """(name, port, head, body chunks, expected statuses or None for 'any 4xx', must contain, closed ok)."""
    def post(path: str, payload, **kw) -> tuple[bytes, list[bytes]]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return request_head("POST", path, body, **kw), [body]

    emb, chat = "/v1/embeddings", "/v1/chat/completions"
    user = [{"role": "user", "content": "hi"}]
    cases = [
        ("invalid JSON", port, *post(emb, b'{"model": "minilm", "input": '), {400}, None),
        ("invalid JSON (trailing garbage)", port, *post(emb, b'{"model": "minilm", "input": "a"} xyz'), {400}, None),
        ("invalid UTF-8 in a string", port, *post(emb, b'{"model": "minilm", "input": "caf\xe9 \xff\xfe"}'), {400},
         None),
        ("empty body", port, *post(emb, b""), {400}, None),
        ("JSON array instead of object", port, *post(chat, b"[1, 2, 3]"), {400}, None),
        ("embeddings: missing input", port, *post(emb, {"model": "minilm"}), {400}, "input"),
        ("embeddings: missing model", port, *post(emb, {"input": "hello"}), {400}, "model"),
        ("chat: missing messages", port, *post(chat, {"model": "smollm2"}), {400}, "messages"),
        ("chat: message without role", port, *post(chat, {"model": "smollm2", "messages": [{"content": "hi"}]}),
         {400}, "role"),
        ("embeddings: input is a number", port, *post(emb, {"model": "minilm", "input": 5}), {400}, "input"),
        ("embeddings: input mixes types", port, *post(emb, {"model": "minilm", "input": ["a", 1]}), {400}, "input"),
        ("embeddings: model is a number", port, *post(emb, {"model": 7, "input": "a"}), {400}, "model"),
        ("chat: messages is a string", port, *post(chat, {"model": "smollm2", "messages": "hi"}), {400}, "messages"),
        ("chat: max_tokens is a string", port,
         *post(chat, {"model": "smollm2", "messages": user, "max_tokens": "ten"}), {400}, "max_tokens"),
        ("chat: max_tokens 1e30", port, *post(chat, {"model": "smollm2", "messages": user, "max_tokens": 1e30}),
         {400}, None),
        ("embeddings: dimensions 1.5", port, *post(emb, {"model": "minilm", "input": "a", "dimensions": 1.5}),
         {400}, None),
        ("chat: temperature is a string", port,
         *post(chat, {"model": "smollm2", "messages": user, "temperature": "hot"}), {400}, "temperature"),
        ("chat: temperature 3", port, *post(chat, {"model": "smollm2", "messages": user, "temperature": 3}), {400},
         "temperature"),
        ("chat: role 'tool'", port, *post(chat, {"model": "smollm2", "messages": [{"role": "tool", "content": "x"}]}),
         {400}, "role"),
        ("chat: image content part", port, *post(chat, {"model": "smollm2", "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}]}), {400}, None),
        ("chat: n=2", port, *post(chat, {"model": "smollm2", "messages": user, "n": 2}), {400}, "n"),
        ("chat: 5 stop strings", port, *post(chat, {"model": "smollm2", "messages": user,
                                                   "stop": ["a", "b", "c", "d", "e"]}), {400}, "stop"),
        ("embeddings: unknown model", port, *post(emb, {"model": "gpt-4", "input": "a"}), {404}, "gpt-4"),
        ("chat: unknown model", port, *post(chat, {"model": "gpt-4", "messages": user}), {404}, "gpt-4"),
        ("chat: embedding model", port, *post(chat, {"model": "minilm", "messages": user}), {404}, None),
        ("chat: empty messages", port, *post(chat, {"model": "smollm2", "messages": []}), {400}, "messages"),
        ("chat: negative max_tokens", port, *post(chat, {"model": "smollm2", "messages": user, "max_tokens": -5}),
         {400}, "max_tokens"),
        ("chat: max_tokens 0", port, *post(chat, {"model": "smollm2", "messages": user, "max_tokens": 0}),
         {400}, "max_tokens"),
        ("chat: max_tokens beyond context", port,
         *post(chat, {"model": "smollm2", "messages": user, "max_tokens": 10**9}), {400}, "2048"),
        ("chat: prompt beyond context", port,
         *post(chat, {"model": "smollm2", "messages": [{"role": "user", "content": "hello " * 2500}]}), {400},
         "2048"),
        ("embeddings: input over 256 tokens", port, *post(emb, {"model": "minilm", "input": "word " * 300}), {400},
         "256"),
        ("embeddings: token ids over 256", port, *post(emb, {"model": "minilm", "input": [2000] * 300}), {400},
         "256"),
        ("embeddings: token id outside vocabulary", port, *post(emb, {"model": "minilm", "input": [99999999]}),
         {400}, "vocabulary"),
        ("embeddings: negative token id", port, *post(emb, {"model": "minilm", "input": [[101, -1]]}), {400},
         "vocabulary"),
        ("embeddings: empty string", port, *post(emb, {"model": "minilm", "input": ""}), {400}, "empty"),
        ("embeddings: empty list", port, *post(emb, {"model": "minilm", "input": []}), {400}, "input"),
        ("embeddings: 2049 inputs", port, *post(emb, {"model": "minilm", "input": ["a"] * 2049}), {400}, "2048"),
        ("embeddings: dimensions 0", port, *post(emb, {"model": "minilm", "input": "a", "dimensions": 0}), {400},
         "dimensions"),
        ("embeddings: encoding_format 'int8'", port,
         *post(emb, {"model": "minilm", "input": "a", "encoding_format": "int8"}), {400}, "encoding_format"),
        ("declared Content-Length 100 MB, no body sent", port,
         request_head("POST", emb, None, content_length=100 * 1024 * 1024), [], {413}, None),
        ("Content-Length 100 KB body over --max-body-bytes 65536", small_port,
         request_head("POST", emb, b"x" * 102400, extra={"Authorization": f"Bearer {API_KEY}"}),
         [b"[" * 102400], {413}, "65536"),
        ("chunked 100 KB body over --max-body-bytes 65536", small_port,
         ("POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
          f"Authorization: Bearer {API_KEY}\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\n\r\n").encode(),
         [b"4000\r\n" + b" " * 0x4000 + b"\r\n" for _ in range(7)] + [b"0\r\n\r\n"], {413}, None),
        ("unknown route", port, request_head("GET", "/v1/nothing", None), [], {404}, None),
        ("unknown route under /v2", port, *post("/v2/embeddings", {"model": "minilm", "input": "a"}), {404}, None),
        ("wrong method (DELETE /v1/models)", port, request_head("DELETE", "/v1/models", None), [], {404, 405},
         None),
        ("nested JSON [[[[ 100000 deep", port, *post(emb, b"[" * 100000 + b"]" * 100000), {400}, None),
        ("nested JSON in input, 100000 deep", port,
         *post(emb, b'{"model": "minilm", "input": ' + b"[" * 100000 + b"]" * 100000 + b"}"), {400}, None),
        ("nested JSON objects 100000 deep", port, *post(chat, b'{"a":' * 100000 + b"1" + b"}" * 100000), {400},
         None),
        ("negative Content-Length", port, request_head("POST", emb, None, content_length=-1), [], None, None),
        ("garbage request line", port, b"\x00\x01GARBAGE \xff\xfe NOT-HTTP\r\n\r\n", [], None, None),
        ("HTTP/1.1 without Host and bad version", port, b"GET /health HTTP/9.9\r\n\r\n", [], None, None),
    ]
    return cases


def check_hostile(report: Report, port: int, small_port: int) -> None:
    for name, target, head, chunks, expected, needle in hostile_requests(port, small_port):
        try:
            status, headers, body, note = raw_exchange(target, head, chunks)
        except OSError as exc:
            status, headers, body, note = None, {}, b"", f"{type(exc).__name__}: {exc}"
        message = None
        try:
            message = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            pass
        if expected is None:  # not HTTP at all: any 4xx (HTTP parser errors carry no JSON) or a closed connection
            ok = status is None or 400 <= status < 500
        else:
            ok = status in expected and message is not None and (needle is None or needle in message)
        after = health(port) if target == port else health(small_port)
        ok = ok and after == 200
        shown = (message if message is not None else body[:100].decode("utf-8", "replace")) or note or "(no body)"
        report.check(f"hostile: {name}", ok,
                     f"{status if status is not None else 'closed'} {shown[:160]!r}; /health {after}")


def read_responses(sock: socket.socket, count: int, timeout: float = 30) -> list[tuple[int, bytes]]:
    """Up to `count` Content-Length responses from one connection (fewer if it closes)."""
    sock.settimeout(timeout)
    data, out = b"", []
    try:
        while len(out) < count:
            while b"\r\n\r\n" not in data:
                part = sock.recv(65536)
                if not part:
                    return out
                data += part
            head, data = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            while len(data) < length:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
            out.append((int(lines[0].split()[1]), data[:length]))
            data = data[length:]
    except (ConnectionResetError, socket.timeout):
        pass
    return out


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_connections(report: Report, client, port: int, small_port: int, pid: int) -> None:
    # Keep-alive after a 400, and two pipelined requests, on one connection.
    bad = b'{"model": "minilm", "input": '
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: {len(bad)}\r\n\r\n".encode() + bad
                     + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        got = read_responses(sock, 3)
    report.check("keep-alive: 400 then 2 pipelined GETs on one connection", [s for s, _ in got] == [400, 200, 200],
                 f"statuses {[s for s, _ in got]}")

    # A body refused for its declared length must not be read as requests (no smuggling).
    inner = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    body = inner * (70000 // len(inner) + 1)
    with socket.create_connection(("127.0.0.1", small_port), timeout=30) as sock:
        sock.sendall(f"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_KEY}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode())
        got = []
        try:
            sock.sendall(body)
            got = read_responses(sock, 1)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # the same connection, after the body
        except OSError:
            pass
        got += read_responses(sock, 1, timeout=10)  # 200 (body drained) or nothing (closed), never /smuggled
    statuses = [s for s, _ in got]
    report.check("413 body not parsed as requests; connection usable after it", statuses in ([413, 200], [413])
                 and not any(b"smuggled" in b for _, b in got), f"statuses {statuses} (200: the body was drained)")

    # Clients that leave mid-stream: their sequences are dropped, the next answer is unchanged.
    expected = solo_chat(client, CHAT_PROMPTS[1], 24)
    socks = []
    for i in range(3):
        payload = json.dumps({"model": CHAT_ID, "messages": [{"role": "user", "content": f"Tell a long story #{i}."}],
                              "temperature": 0, "max_tokens": 1000, "stream": True}).encode()
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {len(payload)}\r\n\r\n"
                     .encode() + payload)
        socks.append(sock)
    firsts = []
    for sock in socks:
        data = b""
        while data.count(b"data: ") < 3:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        firsts.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
    for sock in socks:
        sock.close()
    time.sleep(0.5)
    cpu0 = process_cpu(pid)
    time.sleep(1.0)
    idle_cpu = process_cpu(pid) - cpu0
    t0 = time.monotonic()
    after = solo_chat(client, CHAT_PROMPTS[1], 24)
    elapsed = time.monotonic() - t0
    report.check("3 streams closed by their clients mid-answer: generation stops, next chat unchanged",
                 after == expected and health(port) == 200 and idle_cpu < 0.3,
                 f"{firsts[0]!r}; server CPU {idle_cpu:.2f} s in the 1 s after (< 0.3); "
                 f"next 24-token answer in {elapsed:.2f} s")


def check_api_key(report: Report, openai, small_port: int) -> None:
    path = "/v1/models"
    without, body1 = http_json(small_port, "GET", path)
    wrong, body2 = http_json(small_port, "GET", path, headers={"Authorization": "Bearer wrong-key"})
    longer, _ = http_json(small_port, "GET", path, headers={"Authorization": f"Bearer {API_KEY}x"})
    right, _ = http_json(small_port, "GET", path, headers={"Authorization": f"Bearer {API_KEY}"})
    open_health = health(small_port)

    def msg(body) -> str:
        try:
            return body["error"]["message"]
        except (TypeError, KeyError):
            return str(body)[:80]

    report.check("api key: 401 without, 401 wrong, 200 right", (without, wrong, longer, right) == (401, 401, 401, 200),
                 f"without {without} {msg(body1)!r}; wrong {wrong} {msg(body2)!r}; key+'x' {longer}; right {right}; "
                 f"/health without key {open_health}")
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{small_port}/v1", api_key=API_KEY, max_retries=0)
    r = client.embeddings.create(model="minilm", input=["a key-protected request"], encoding_format="float")
    report.check("api key: openai client with the key", len(r.data) == 1 and len(r.data[0].embedding) == 384,
                 f"dim {len(r.data[0].embedding)}")
    try:
        openai.OpenAI(base_url=f"http://127.0.0.1:{small_port}/v1", api_key="nope", max_retries=0) \
            .embeddings.create(model="minilm", input="x")
        report.check("api key: openai client with a wrong key raises AuthenticationError", False, "no error")
    except openai.AuthenticationError as exc:
        report.check("api key: openai client with a wrong key raises AuthenticationError", exc.status_code == 401,
                     f"status {exc.status_code}")


IDLE_TIMEOUT = 2  # seconds, the small server's --idle-timeout


def stalled_upload(port: int) -> socket.socket:
    """A connection that declares a 100-byte body, sends 9 bytes of it and stops."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + API_KEY.encode() + b"\r\nContent-Length: 100\r\n\r\n{\"model\":")
    return conn


def check_stalled_client(report: Report, server: Server, port: int) -> None:
    conn = stalled_upload(port)
    start = time.monotonic()
    try:
        data = conn.recv(4096)
        closed_after = time.monotonic() - start
        report.check(f"stalled upload closed after --idle-timeout {IDLE_TIMEOUT} s",
                     IDLE_TIMEOUT - 0.5 <= closed_after <= IDLE_TIMEOUT + 5,
                     f"closed after {closed_after:.1f} s ({len(data)} bytes answered)")
    except OSError as exc:
        report.check(f"stalled upload closed after --idle-timeout {IDLE_TIMEOUT} s", False, f"{exc}")
    finally:
        conn.close()
    status = http_json(port, "GET", "/health", timeout=15)[0]
    report.check("stalled upload: /health 200 afterwards", status == 200, f"status {status}")
    conn = stalled_upload(port)
    start = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    try:
        code = server.process.wait(timeout=IDLE_TIMEOUT + 15)
    except subprocess.TimeoutExpired:
        code = None
    conn.close()
    report.check("SIGTERM with a stalled upload open: exit 0 promptly", code == 0,
                 f"exit {code} after {time.monotonic() - start:.1f} s")


def check_sigterm(report: Report, server: Server, port: int) -> None:
    prompts = ["Write a long story about a dragon who learns to cook.",
               "Describe, in detail, how a bicycle works.",
               "List twenty animals and one fact about each.",
               "Write a long letter to a friend about a summer holiday."]
    results: list[object] = [None] * len(prompts)
    first_byte = threading.Event()

    def streamed(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            body = json.dumps({"model": CHAT_ID, "messages": [{"role": "user", "content": prompts[i]}],
                               "temperature": 0, "max_tokens": 64, "stream": True,
                               "stream_options": {"include_usage": True}})
            conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            text, reason, tokens, done = "", None, None, False
            for raw in response:
                line = raw.decode().strip()
                if not line.startswith("data: "):
                    continue
                first_byte.set()
                data = line[6:]
                if data == "[DONE]":
                    done = True
                    break
                chunk = json.loads(data)
                for choice in chunk.get("choices", []):
                    text += choice["delta"].get("content") or ""
                    reason = choice.get("finish_reason") or reason
                if chunk.get("usage"):
                    tokens = chunk["usage"]["completion_tokens"]
            results[i] = (response.status, reason, tokens, done, text)
        except Exception as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            conn.close()

    def plain(i: int) -> None:
        try:
            status, body = http_json(port, "POST", "/v1/chat/completions",
                                     {"model": CHAT_ID, "messages": [{"role": "user", "content": prompts[i]}],
                                      "temperature": 0, "max_tokens": 64}, timeout=120)
            choice = body["choices"][0]
            results[i] = (status, choice["finish_reason"], body["usage"]["completion_tokens"], True,
                          choice["message"]["content"])
        except Exception as exc:  # noqa: BLE001
            results[i] = exc

    threads = [threading.Thread(target=streamed if i % 2 == 0 else plain, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    first_byte.wait(30)
    time.sleep(0.3)
    sent = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    try:
        code = server.process.wait(30)
    except subprocess.TimeoutExpired:
        code = None
    exit_seconds = time.monotonic() - sent
    for t in threads:
        t.join(60)

    def complete(r) -> bool:
        return (isinstance(r, tuple) and r[0] == 200 and r[3]
                and (r[1] == "length" and r[2] == 64 or r[1] == "stop" and r[2] is not None))

    shown = ["%s" % (f"{r[0]} {r[1]} {r[2]} tokens" if isinstance(r, tuple) else f"{type(r).__name__}: {r}")
             for r in results]
    report.check("SIGTERM: 4 in-flight chats (2 streamed) finish with 200", all(complete(r) for r in results),
                 "; ".join(shown))
    report.check("SIGTERM: server exits 0 within 30 s", code == 0,
                 f"exit status {code} after {exit_seconds:.2f} s; last log line {server.lines[-1] if server.lines else ''!r}")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    except OSError:
        refused = True
    report.check("SIGTERM: new connection refused afterwards", refused, f"port {port}")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attend", default=str(ROOT / ".build/release/attend"))
    args = parser.parse_args()
    attend = str(Path(args.attend).resolve())
    if not os.access(attend, os.X_OK):
        print(f"FAIL no executable at {attend} (swift build -c release)")
        return 1
    openai = ensure_openai()
    started = time.monotonic()
    report = Report()
    servers: list[Server] = []
    try:
        main_server = Server(attend, [], "main")
        servers.append(main_server)
        small = Server(attend, ["--max-body-bytes", str(SMALL_BODY_LIMIT), "--generation-model", "none",
                                "--embedding-model", "minilm", "--api-key", API_KEY, "--idle-timeout",
                                str(IDLE_TIMEOUT)], "small")
        servers.append(small)
        port = main_server.wait_ready()
        small_port = small.wait_ready()
        print(f"main server on port {port}, small server (--max-body-bytes {SMALL_BODY_LIMIT}, --api-key) "
              f"on port {small_port}, ready after {time.monotonic() - started:.1f} s", flush=True)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0,
                               timeout=120)
        for name, step in [
            ("models", lambda: check_models(report, client, port)),
            ("embeddings", lambda: check_embeddings(report, client, attend)),
            ("chat", lambda: check_chat(report, client, attend)),
            ("concurrent embeddings", lambda: check_concurrent_embeddings(report, client)),
            ("concurrent chats", lambda: check_concurrent_chats(report, client)),
            ("hostile requests", lambda: check_hostile(report, port, small_port)),
            ("connections", lambda: check_connections(report, client, port, small_port,
                                                                   main_server.process.pid)),
            ("api key", lambda: check_api_key(report, openai, small_port)),
            ("stalled clients", lambda: check_stalled_client(report, small, small_port)),
            ("SIGTERM", lambda: check_sigterm(report, main_server, port)),
        ]:
            t0 = time.monotonic()
            try:
                step()
            except Exception as exc:  # noqa: BLE001 — a crashed step is a failed check, the rest still run
                report.error(name, exc)
            print(f"  ({name}: {time.monotonic() - t0:.1f} s)", flush=True)
        for server in servers:
            if server.process.poll() not in (None, 0):
                report.check(f"{server.name} server still alive", False, f"exit status {server.process.poll()}")
            crashes = [line for line in server.lines
                       if "Fatal error" in line or "Segmentation fault" in line or " 500 " in line]
            report.check(f"{server.name} server log: no crash, no 500", not crashes,
                         crashes[0][:200] if crashes else f"{len(server.lines)} log lines")
    finally:
        for server in servers:
            server.stop()
    elapsed = time.monotonic() - started
    print(f"{report.passed} passed, {len(report.failed)} failed in {elapsed:.1f} s"
          + (f": {', '.join(report.failed)}" if report.failed else ""))
    return 0 if not report.failed else 1


if __name__ == "__main__":
    sys.exit(main())
