"""How the MongoDB and GridFS backends call pymongo, so that a server that is down costs
requests almost nothing.

pymongo's defaults wait 30 s to find a server, and once it has a server in view, its selection
loop sleeps in half-second steps, so even a short ``serverSelectionTimeoutMS`` costs about 0.5 s
per call while the server is down. `MongoCalls` therefore does two things around every call:

* Before it, it looks at the client's view of the deployment (``topology_description``): if
  every server was checked by pymongo's monitor and found unreachable, the call fails at once,
  without waiting. While no server has been checked yet (a client made a moment ago), it waits
  up to the call's timeout for the first check, and fails if none answered by then.
* It runs the call under ``pymongo.timeout(seconds)``, which bounds server selection, the
  operation and its retries together: a hung server costs at most that long.

A client the cache makes also has ``retryReads`` and ``retryWrites`` off: a retry waits for a
server in the half-second loop, so the first failure of an outage would cost 0.5 s. A client
passed in keeps its own settings (the cache warns when it retries), and one made with its own
``timeoutMS`` keeps that timeout. With ``fail_fast=False`` calls are only translated:
pymongo errors become `StorageError`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any, Optional

from ..errors import StorageError, translate_errors
from .resilience import FAIL_FAST_TIMEOUT

__all__ = ['TRANSFER_ALLOWANCE', 'MongoCalls', 'fail_fast_client_kwargs']

logger = logging.getLogger(__name__)

#: Seconds added to a call's timeout for each MiB it moves (about 10 MB/s at worst).
TRANSFER_ALLOWANCE = 0.1
_FIRST_CHECK_POLL = 0.005


def fail_fast_client_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`MongoClient` arguments for a client the cache makes: no retries, unless asked for."""
    return {'retryReads': False, 'retryWrites': False, **kwargs}


class MongoCalls:
    """Runs pymongo calls for one cache: translated errors, and with fail-fast a refused call
    when the server is known to be down and a time limit on every call.

    Args:
        client: The pymongo (or mongomock) client, or None for translation only.
        fail_fast: Refuse calls to a server known to be down, and bound their time.
    """

    def __init__(self, client: Any, fail_fast: bool = True) -> None:
        self.client = client
        options = getattr(client, 'options', None)
        #: Seconds each call may take, or None to leave the client's own timeouts alone.
        self.timeout: Optional[float] = (
            FAIL_FAST_TIMEOUT
            if fail_fast and client is not None and getattr(options, 'timeout', None) is None
            else None
        )
        # mongomock has no monitor: there is nothing to look at before a call.
        self._watch = fail_fast and hasattr(client, 'topology_description')

    def warn_if_retrying(self) -> None:
        """Warn when a client passed in would retry, which costs 0.5 s at an outage's onset."""
        options = getattr(self.client, 'options', None)
        if self._watch and (
            getattr(options, 'retry_reads', False) or getattr(options, 'retry_writes', False)
        ):
            logger.warning(
                'MongoDB backend: the client passed as connection= retries reads or writes; '
                'when the server goes down, the first failing call may wait about 0.5 s for '
                'pymongo to find a server again. Make it with retryReads=False and '
                'retryWrites=False, or pass fail_fast=False to keep it without this warning'
            )

    @contextlib.contextmanager
    def __call__(self, moved: int = 0) -> Iterator[None]:
        """Run the calls inside under this cache's rules.

        Args:
            moved: Bytes the calls read or write, which lengthen the time limit.

        Raises:
            StorageError: A pymongo error, a timeout, or every server is known to be down.
        """
        with translate_errors('mongodb', _pymongo_error()):
            if self.timeout is None:
                yield
                return
            timeout = self.timeout + TRANSFER_ALLOWANCE * moved / (1024 * 1024)
            if self._watch:
                self._refuse_if_down(timeout)
            import pymongo

            with pymongo.timeout(timeout):
                yield

    def _refuse_if_down(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            servers = list(self.client.topology_description.server_descriptions().values())
            if not servers or any(server.is_server_type_known for server in servers):
                return
            errors = [server.error for server in servers]
            if all(error is not None for error in errors):
                # The monitor's own error, in the shape of a translated pymongo error.
                raise StorageError(f'mongodb storage error: {errors[0]}')
            if time.monotonic() >= deadline:
                # pymongo would wait for it in half-second steps, past our time limit.
                raise StorageError(f'mongodb storage error: no server answered within {timeout:g}s')
            time.sleep(_FIRST_CHECK_POLL)


def _pymongo_error() -> type[BaseException]:
    # Imported here: pymongo is optional, and the backends check for it before calling.
    from pymongo.errors import PyMongoError

    return PyMongoError
