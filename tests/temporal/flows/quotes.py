"""The Python of quote.flow's `code` step. Each call appends the process id of the worker
that ran it to QUOTES_LOG, so a test can tell where the function ran."""

from __future__ import annotations

import os
import time

PRICES = {"large": 12.5}


def price(count: float, size: str) -> float:
    with open(os.environ["QUOTES_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\n")
    if count <= 0:
        raise ValueError(f"no price for {count:g} pizzas")
    return count * PRICES[size]


def checked_price(count: float, key: str) -> float:
    """`price`, after checking `key` with a slow, blocking call (QUOTES_SECONDS of
    time.sleep, as a synchronous client library would block); a refusal names the key,
    as careless error messages do."""
    time.sleep(float(os.environ.get("QUOTES_SECONDS", "0")))
    if count <= 0:
        raise ValueError(f"no price for {count:g} pizzas (checked with {key})")
    return price(count, "large")
