"""Keeps a `NearCache` coherent with Redis through server-assisted client-side caching.

A dedicated connection (RESP2, so it works on Redis 6 and 7 alike) asks the server to report
every change to keys under the cache's prefixes, and reads the reports on a daemon thread:

1. ``CLIENT ID``, then ``CLIENT TRACKING on REDIRECT <own id> BCAST PREFIX <prefix> ...``:
   broadcast mode reports changes by any client, on this machine or another, to any key with
   one of the prefixes, whether or not this process has read it.
2. ``SUBSCRIBE __redis__:invalidate``: the reports arrive as messages listing the changed keys
   (None when a database was flushed).
3. Only then is the near-cache enabled. Every message or heartbeat reply is noted; after
   `HEARTBEAT` seconds of silence the thread sends ``PING`` and a missing reply counts as a lost
   connection.
4. Any error (the connection killed, the server restarted, a network failure) disables and
   empties the near-cache at once, and the thread reconnects with backoff; the near-cache is
   enabled again only once step 2 is done on the new connection.

After ``fork()`` the child has no such thread: its near-cache is disabled and emptied, and the
thread starts again at the child's next read that misses.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Any, Callable, Optional

from .near_cache import NearCache

__all__ = ['HEARTBEAT', 'INVALIDATE_CHANNEL', 'Tracker']

logger = logging.getLogger(__name__)

#: Seconds of silence on the tracking connection before it is checked with a PING.
HEARTBEAT = 0.25
#: The channel Redis publishes invalidations to, in RESP2.
INVALIDATE_CHANNEL = b'__redis__:invalidate'
# How often the reading thread looks up from the socket to notice `stop`.
_POLL = 0.05
_MAX_BACKOFF = 2.0

_TRACKERS: weakref.WeakSet[Tracker] = weakref.WeakSet()


class Tracker:
    """The tracking connection of one near-cache, and the thread that reads it.

    Args:
        near: The near-cache to keep coherent.
        connect: Returns a new, unconnected redis-py ``Connection`` speaking RESP2.
        prefixes: Key prefixes whose changes must be reported.
        name: What the near-cache is for, in log messages.
    """

    def __init__(
        self,
        near: NearCache,
        connect: Callable[[], Any],
        prefixes: list[bytes],
        name: str = 'redis',
    ) -> None:
        self.near = near
        self.connect = connect
        self.prefixes = prefixes
        self.name = name
        #: The server's id of the tracking connection while it is up (for ``CLIENT KILL``).
        self.client_id: Optional[int] = None
        #: Connections made so far; more than one means it was lost and made again.
        self.connects = 0
        self._stop = threading.Event()
        self._connection: Any = None
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._failing = False
        near.revive = self.ensure_running
        _TRACKERS.add(self)

    def start(self) -> None:
        """Start the reading thread (the near-cache is enabled once tracking is set up)."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._run, name=f'requests-cache-tracking-{self.name}', daemon=True
            )
            self._thread.start()

    def ensure_running(self) -> None:
        """Start the thread again in a child process after ``fork()``."""
        if self._thread is None and not self._stop.is_set():
            self.start()

    def wait_until_enabled(self, timeout: float) -> bool:
        """Wait until the near-cache is enabled; True if it is (for tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while not self.near.enabled:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def stop(self) -> None:
        """Stop tracking: the near-cache is disabled and the connection closed."""
        self._stop.set()
        self.near.disable('the cache was closed')
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2 * _POLL + 1)
        self._thread = None
        self.near.disable('the cache was closed')  # again: the thread may have enabled it

    def _after_fork(self) -> None:
        # The connection's socket is shared with the parent: dropping our reference must not
        # shut it down, so it is not closed here.
        self._connection = None
        self._thread = None
        self.client_id = None
        self.near.disable('forked: the tracking thread stayed in the parent process')
        self._lock = threading.Lock()

    # --- the reading thread ----------------------------------------------------------------
    def _run(self) -> None:
        delay = _POLL
        while not self._stop.is_set():
            try:
                self._track()
                return  # stopped
            except Exception as exc:  # any failure means reports may be lost
                self.near.disable(f'tracking connection lost: {exc!r}')
                # Once per outage at WARNING; each retry of the same outage at DEBUG.
                level = logging.DEBUG if self._failing else logging.WARNING
                logger.log(level, 'Near-cache %s is off until tracking is back: %r', self.name, exc)
                self._failing = True
            finally:
                self._close()
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, _MAX_BACKOFF)

    def _track(self) -> None:
        self._connection = connection = self.connect()
        self.connects += 1
        connection.connect()
        connection.send_command('CLIENT', 'ID')
        client_id = int(connection.read_response())
        command: list[Any] = ['CLIENT', 'TRACKING', 'on', 'REDIRECT', client_id, 'BCAST']
        for prefix in self.prefixes:
            command += ['PREFIX', prefix]
        connection.send_command(*command)
        _expect(connection.read_response(), b'OK')
        connection.send_command('SUBSCRIBE', INVALIDATE_CHANNEL)
        reply = connection.read_response()
        _expect(reply[0] if isinstance(reply, list) and reply else reply, b'subscribe')
        self.client_id = client_id
        self.near.enable()
        if self._failing:
            logger.warning('Near-cache %s is on again: tracking is back', self.name)
            self._failing = False
        logger.debug('Near-cache %s tracks %s as client %d', self.name, self.prefixes, client_id)
        self._listen(connection)

    def _listen(self, connection: Any) -> None:
        last_heard = time.monotonic()
        pinged = False
        while not self._stop.is_set():
            if not connection.can_read(timeout=_POLL):
                silent = time.monotonic() - last_heard
                if silent >= 2 * HEARTBEAT and pinged:
                    raise TimeoutError(f'no reply to PING in {HEARTBEAT:g}s')
                if silent >= HEARTBEAT and not pinged:
                    connection.send_command('PING')
                    pinged = True
                continue
            message = connection.read_response()
            last_heard = time.monotonic()
            self.near.heard()
            pinged = self._handle(message, pinged)

    def _handle(self, message: Any, pinged: bool) -> bool:
        """Apply one message; returns whether a PING is still unanswered."""
        kind = message[0] if isinstance(message, list) and message else None
        if kind == b'pong':
            return False
        if kind == b'message' and message[1] == INVALIDATE_CHANNEL:
            keys = message[2]
            if keys is None:  # FLUSHDB / FLUSHALL
                self.near.flush()
            else:
                self.near.invalidate(keys)
            return pinged
        logger.debug('Unexpected message on the tracking connection: %r', message)
        return pinged

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        self.client_id = None
        if connection is not None and os.getpid() == self._pid:
            try:
                connection.disconnect()
            except Exception as exc:  # closing a broken connection may fail: it is gone anyway
                logger.debug('Closing the tracking connection failed: %r', exc)


def _expect(reply: Any, expected: bytes) -> None:
    if reply != expected and reply != expected.decode():
        raise ValueError(f'unexpected reply from Redis: {reply!r} (expected {expected!r})')


def _after_fork_in_child() -> None:
    for tracker in list(_TRACKERS):
        tracker._after_fork()


if hasattr(os, 'register_at_fork'):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)
