"""How the server side and the workers reach Temporal: one client setup, one queue naming.

Versioning: a call runs on the build it started on. The task queue of a call's
workflow is the base queue (`--task-queue`, default "flowc") with the build's
fingerprint (builds.py): `flowc.3f2a9c0d1b7e4a55`. A server starts each new call on
its current build's queue, and a worker polls the queue of the build it runs, so
workers of an old build finish the calls in progress while the workers of a new
one take the new calls; an old build's workers are stopped once its calls are
over (docs/deploy.md, "Scale-out").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from temporalio.client import Client
from temporalio.converter import DataConverter

from .codec import PayloadCipher, payload_key


class TemporalUnavailable(Exception):
    """The Temporal server cannot be reached; the message says where and why."""


def build_queue(task_queue: str, fingerprint: str) -> str:
    """The task queue of the calls of one build."""
    return f"{task_queue}.{fingerprint}"


def data_converter(environ: Mapping[str, str]) -> DataConverter:
    """Temporal's default converter with every payload encrypted (codec.py); raises
    PayloadKeyError when FLOWC_PAYLOAD_KEY is missing or malformed."""
    return dataclasses.replace(
        DataConverter.default, payload_codec=PayloadCipher(payload_key(environ))
    )


async def connect(address: str, namespace: str, environ: Mapping[str, str]) -> Client:
    """A client of `address` with the encrypting converter; TemporalUnavailable when the
    server does not answer (Client.connect raises a bare RuntimeError then)."""
    converter = data_converter(environ)
    try:
        return await Client.connect(address, namespace=namespace, data_converter=converter)
    except RuntimeError as exc:
        raise TemporalUnavailable(
            f"cannot reach the Temporal server at {address} (namespace {namespace}): "
            f"{_first_line(exc)}"
        ) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
