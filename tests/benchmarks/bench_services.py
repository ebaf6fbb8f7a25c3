"""Service benchmarks (`make bench`); prints a JSON report.

1. Understanding: answers read per second over a mix of typical answers of
   every collect type; and the slowest single answer among long, noisy ones
   (just under the 1,000-character limit, number words and symbols). Targets:
   >= 5,000 answers/s, and no answer over 50 ms: it sits between the caller's
   last word and the agent's reply.
2. HTTP: 500 sequential GETs to a local server through `HttpxClient`, against
   the same requests through a bare `httpx.AsyncClient`. Target: the client's
   own work (whole-attempt timeout, chunked body with a size limit, retry
   bookkeeping) adds <= 0.5 ms a request. An absolute bound: a local round trip
   is about 1 ms, so a ratio would mostly measure the machine's noise.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx
from flowc_runtime.http import HttpxClient
from flowc_runtime.services import HttpRequest
from flowc_runtime.understanding import MAX_ANSWER_CHARS, RuleBasedUnderstanding

from tests.support.http_server import Reply, running_http_server

NOW = datetime(2026, 11, 25, 11, 0)
TYPICAL_ANSWERS = [
    ("text", "Jane Doe"),
    ("number", "about one thousand two hundred and fifty"),
    ("number", "42"),
    ("bool", "yeah that's right"),
    ("bool", "not really"),
    ("date", "the third of March"),
    ("date", "next Thursday"),
    ("time", "half past two in the afternoon"),
    ("datetime", "tomorrow at 2 PM"),
    ("datetime", "Thursday 14 March at 15:00"),
    ("phone", "five five five one two three four five six seven"),
    ("email", "jane dot doe at example dot co dot uk"),
]
CHOICES = ["Thursday 14 March at 14:00", "Thursday 14 March at 15:00", "neither"]
TYPES = ["text", "number", "bool", "date", "time", "datetime", "phone", "email"]
ANSWERS_PER_SECOND_TARGET = 5_000
SLOWEST_ANSWER_TARGET_MS = 50.0
HTTP_REQUESTS = 500
NOISE_WORDS = (
    "one", "twenty", "hundred", "point", "at", "dot", "and", "half", "past", "12", ":",
    "/", "+", "@", "march", "3rd", "the",
)  # fmt: skip
HTTP_ADDED_MS_TARGET = 0.5


def _answers_per_second(understanding: RuleBasedUnderstanding) -> float:
    rounds = 300
    started = time.perf_counter()
    for _ in range(rounds):
        for type_name, said in TYPICAL_ANSWERS:
            understanding.understand(type_name, said, None, NOW)
        understanding.understand("text", "the three o'clock one please", CHOICES, NOW)
    elapsed = time.perf_counter() - started
    return rounds * (len(TYPICAL_ANSWERS) + 1) / elapsed


def _noisy_answers(count: int, length: int) -> list[str]:
    pieces = NOISE_WORDS
    generator = random.Random(7)  # the same answers every run
    answers = []
    for _ in range(count):
        words: list[str] = []
        while sum(len(word) + 1 for word in words) < length:
            words.append(generator.choice(pieces))
        answers.append(" ".join(words))
    return answers


def _slowest_answer_ms(understanding: RuleBasedUnderstanding) -> float:
    slowest = 0.0
    for said in _noisy_answers(count=20, length=MAX_ANSWER_CHARS - 20):
        for type_name in TYPES:
            started = time.perf_counter()
            understanding.understand(type_name, said, None, NOW)
            slowest = max(slowest, time.perf_counter() - started)
        started = time.perf_counter()
        understanding.understand("text", said, CHOICES, NOW)
        slowest = max(slowest, time.perf_counter() - started)
    return slowest * 1000


async def _seconds_for(requests: int, send_one: Callable[[], Awaitable[object]]) -> float:
    for _ in range(20):  # warm the connection pool
        await send_one()
    started = time.perf_counter()
    for _ in range(requests):
        await send_one()
    return time.perf_counter() - started


async def _http_overhead(url: str) -> dict[str, float]:
    request = HttpRequest("GET", url, timeout_seconds=5.0)
    async with HttpxClient() as client:
        ours = await _seconds_for(HTTP_REQUESTS, lambda: client.send(request))
    async with httpx.AsyncClient() as bare:

        async def bare_get() -> object:
            response = await bare.get(url, timeout=5.0)
            return response.json()

        baseline = await _seconds_for(HTTP_REQUESTS, bare_get)
    ours_ms, baseline_ms = ours / HTTP_REQUESTS * 1000, baseline / HTTP_REQUESTS * 1000
    return {
        "httpx_client_ms_per_request": round(ours_ms, 3),
        "bare_httpx_ms_per_request": round(baseline_ms, 3),
        "added_ms_per_request": round(ours_ms - baseline_ms, 3),
    }


def main() -> None:
    understanding = RuleBasedUnderstanding()
    per_second = _answers_per_second(understanding)
    slowest = _slowest_answer_ms(understanding)
    with running_http_server() as server:
        server.route("GET", "/slots", Reply.json({"first": "Mon 9:00", "second": "Tue 14:00"}))
        http = asyncio.run(_http_overhead(server.url + "/slots"))
    report = {
        "understanding": {
            "answers_per_second": round(per_second),
            "target_answers_per_second": ANSWERS_PER_SECOND_TARGET,
            "slowest_noisy_answer_ms": round(slowest, 2),
            "target_slowest_ms": SLOWEST_ANSWER_TARGET_MS,
            "met": per_second >= ANSWERS_PER_SECOND_TARGET and slowest <= SLOWEST_ANSWER_TARGET_MS,
        },
        "http": {
            **http,
            "target_added_ms": HTTP_ADDED_MS_TARGET,
            "met": http["added_ms_per_request"] <= HTTP_ADDED_MS_TARGET,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
