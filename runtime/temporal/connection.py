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

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import RPCError, RPCStatusCode

from .codec import PayloadCipher, payload_key


class TemporalUnavailable(Exception):
    """The Temporal server cannot be reached; the message says where and why."""


def build_queue(task_queue: str, fingerprint: str) -> str:
    """The task queue of the calls of one build."""
    return f"{task_queue}.{fingerprint}"


def data_converter(environ: Mapping[str, str]) -> DataConverter:
    """Temporal's default converter with every payload, and every failure's message and
    stack trace, encrypted (codec.py); raises PayloadKeyError when FLOWC_PAYLOAD_KEY is
    missing or malformed."""
    return dataclasses.replace(
        DataConverter.default,
        payload_codec=PayloadCipher(payload_key(environ)),
        # A failure's message and stack trace (a code step's exception, a request's
        # error) are not payloads: by default they are stored in clear. This converter
        # moves them into an encoded payload, which the codec encrypts.
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(address: str, namespace: str, environ: Mapping[str, str]) -> Client:
    """A client of `address` with the encrypting converter, its namespace checked;
    TemporalUnavailable when the address is not HOST:PORT, the server does not answer
    (Client.connect raises a bare RuntimeError then) or has no such namespace."""
    converter = data_converter(environ)
    # Checked before the SDK's core sees it: a malformed address fails inside its
    # native thread, which can abort the interpreter as it exits.
    check_address(address)
    try:
        client = await Client.connect(address, namespace=namespace, data_converter=converter)
    except RuntimeError as exc:
        raise TemporalUnavailable(
            f"cannot reach the Temporal server at {address} (namespace {namespace}): "
            f"{_first_line(exc)}"
        ) from None
    await _check_namespace(client, address, namespace)
    return client


def check_address(address: str) -> None:
    """TemporalUnavailable unless `address` is HOST:PORT (a port of 1 to 65535)."""
    host, colon, port = address.rpartition(":")
    if not (colon and host and port.isdigit() and 0 < int(port) < 65536):
        raise TemporalUnavailable(
            f"--temporal takes the Temporal server's HOST:PORT (such as 127.0.0.1:7233), "
            f"not {address!r}"
        )


async def _check_namespace(client: Client, address: str, namespace: str) -> None:
    """Every call of a client names its namespace; an unknown one would fail each of them
    (a worker at its start, a server at every webhook), so it is told once, here."""
    request = DescribeNamespaceRequest(namespace=namespace)
    try:
        await client.workflow_service.describe_namespace(request)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise TemporalUnavailable(
                f"the Temporal server at {address} has no namespace {namespace!r}: create it "
                f"(temporal operator namespace create --namespace {namespace}) or pass "
                "another --namespace"
            ) from None
        raise TemporalUnavailable(
            f"the Temporal server at {address} does not describe namespace {namespace!r}: "
            f"{exc.message}"
        ) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
