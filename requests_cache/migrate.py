"""Copy a cache written by requests-cache 1.x into one of ours.

requests-cache 1.x stores each response as a dict of plain fields: pickled in its SQLite backend
(the default), JSON in its filesystem backend. Unpickling runs whatever code the data names, so a
SQLite (or pickle-format) source is read only with ``trust_pickle=True``: pass it only for a cache
file that nobody else could have written. JSON sources are read safely either way.

Entries are stored under the keys this library computes, so the migrated cache answers the same
requests the old one did (with default key settings).
"""

from __future__ import annotations

import base64
import json
import logging
import pickle
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Union

from requests.structures import CaseInsensitiveDict

from .backends import BaseCache
from .errors import ConfigurationError
from .models import CachedRequest, CachedResponse

__all__ = [
    'MigrationReport',
    'decode_1x',
    'migrate_requests_cache_1x',
    'save_1x_response',
    'to_response',
]

logger = logging.getLogger(__name__)

#: Suffixes of the response files of a requests-cache 1.x filesystem cache, by format.
FILE_SUFFIXES_1X = ('.json', '.yaml', '.yml', '.pkl', '.pickle', '.bson')


@dataclass
class MigrationReport:
    """What a migration did.

    Attributes:
        copied: Responses written to the target and read back.
        skipped: Entries that could not be read, each with the reason.
        failed: Entries that were read but could not be written to the target, with the reason.
    """

    copied: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def migrate_requests_cache_1x(
    source: Union[str, Path], target: BaseCache, trust_pickle: bool = False
) -> MigrationReport:
    """Copy every readable response of a requests-cache 1.x cache into ``target``.

    Args:
        source: A 1.x SQLite file, or the directory of a 1.x filesystem cache.
        target: The cache to copy into.
        trust_pickle: Allow unpickling the source's entries (needed for SQLite sources).

    Returns:
        How many responses were copied, and which entries were skipped and why.

    Raises:
        ConfigurationError: The source does not exist, or needs ``trust_pickle=True``.
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise ConfigurationError(
            f'{path} does not exist; pass a 1.x SQLite file or cache directory'
        )
    report = MigrationReport()
    for name, entry in _read_entries(path, trust_pickle):
        try:
            response = to_response(entry)
        except (KeyError, TypeError, ValueError) as exc:
            report.skipped.append(f'{name}: {exc!r}')
            logger.warning('Skipping 1.x entry %s: %r', name, exc)
            continue
        problem = save_1x_response(target, response)
        if problem:
            report.failed.append(f'{name}: {problem}')
        else:
            report.copied += 1
    return report


def save_1x_response(target: BaseCache, response: CachedResponse) -> str:
    """Store a response read from a 1.x cache under the key ``target`` gives its first request,
    and check that it reads back.

    Returns:
        An empty string if it was stored, else why not.
    """
    # A redirected response was stored under its first request, which history keeps.
    first = response.history[0] if response.history else response
    key = target.create_key(first.request)
    response.cache_key = key
    errors_before = target.stats.write_errors
    if not target.save_response(response, key) or target.get_response(key) is None:
        if target.stats.write_errors > errors_before:
            return 'the target cache could not store it (see the logged error)'
        return 'the target cache did not keep it (larger than max_response_size?)'
    return ''


def decode_1x(blob: Any, trust_pickle: bool) -> Any:
    """The dict of fields a requests-cache 1.x blob holds: JSON or YAML text, BSON, or (only
    with ``trust_pickle``) a pickle.

    Raises:
        ConfigurationError: The blob is a pickle and ``trust_pickle`` is False.
        ValueError: The blob is none of those formats.
    """
    if isinstance(blob, str):
        blob = blob.encode('utf-8')
    blob = bytes(blob)
    if blob[:1] == b'\x80':  # every pickle protocol since 2 starts with PROTO
        return _unpickle(blob, trust_pickle)
    if blob.lstrip()[:1] == b'{':
        return json.loads(blob)
    if len(blob) >= 5 and int.from_bytes(blob[:4], 'little') == len(blob) and blob[-1:] == b'\0':
        import bson  # a BSON document: its length, then the elements, then a NUL

        return bson.decode(blob)
    try:
        import yaml
    except ImportError:
        raise ValueError('not a requests-cache 1.x entry (JSON, BSON or pickle)') from None
    loaded = yaml.safe_load(blob)
    if not isinstance(loaded, dict):
        raise ValueError('not a requests-cache 1.x entry')
    return loaded


def _read_entries(path: Path, trust_pickle: bool) -> Iterator[tuple[str, Any]]:
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.suffix in FILE_SUFFIXES_1X:
                yield file.name, decode_1x(file.read_bytes(), trust_pickle)
        return
    with sqlite3.connect(f'file:{path}?mode=ro', uri=True) as connection:
        # An upgraded 1.x file keeps the entries it could not read in responses_1x.
        tables = {row[0] for row in connection.execute('SELECT name FROM sqlite_master')}
        table = 'responses_1x' if 'responses_1x' in tables else 'responses'
        rows = connection.execute(f'SELECT key, value FROM "{table}"').fetchall()
    for key, value in rows:
        yield key, decode_1x(value, trust_pickle)


def _unpickle(blob: bytes, trust_pickle: bool) -> Any:
    if not trust_pickle:
        raise ConfigurationError(
            'this requests-cache 1.x cache stores pickles, and unpickling runs any code the data '
            'names; pass trust_pickle=True (--trust-pickle) only if nobody else could have '
            'written it'
        )
    return pickle.loads(blob)


def to_response(entry: Any, with_history: bool = True) -> CachedResponse:
    """A `CachedResponse` from the dict of fields of a requests-cache 1.x entry.

    Raises:
        KeyError, TypeError, ValueError: A field is missing or of the wrong type.
    """
    if not isinstance(entry, dict):
        raise TypeError(f'expected a dict of fields, got {type(entry).__name__}')
    request = entry.get('request') or {}
    stored_request = CachedRequest(
        method=str(request.get('method') or 'GET'),
        url=str(request.get('url') or entry['url']),
        headers=CaseInsensitiveDict(request.get('headers') or {}),
        body=_request_body(request.get('body')),
    )
    history = (
        [to_response(hop, False) for hop in entry.get('history') or []] if with_history else []
    )
    created_at = _time(entry.get('created_at'))
    return CachedResponse.build(
        url=str(entry['url']),
        status_code=int(entry['status_code']),
        reason=entry.get('reason'),
        headers=[(str(k), str(v)) for k, v in (entry.get('headers') or {}).items()],
        body=_body(entry),
        encoding=entry.get('encoding'),
        elapsed=float(entry.get('elapsed') or 0),
        request=stored_request,
        history=history,
        created_at=created_at,
        expires=_time(entry.get('expires')) if entry.get('expires') else None,
    )


def _request_body(body: Any) -> Any:
    # 1.x text formats stored the request body base64-encoded, as they stored every bytes field.
    if isinstance(body, str) and body:
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            return body
    return body


def _body(entry: dict[str, Any]) -> bytes:
    content = entry.get('_content')
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):  # base64 in 1.x JSON files
        return base64.b64decode(content)
    if '_decoded_content' in entry:
        # 1.x kept JSON bodies decoded for readability; the original bytes are gone.
        decoded = entry['_decoded_content']
        text = decoded if isinstance(decoded, str) else json.dumps(decoded)
        return text.encode(entry.get('encoding') or 'utf-8')
    return b''


def _time(value: Any) -> Optional[datetime]:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
