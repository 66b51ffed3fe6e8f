"""``migrate``: copy a cache written by requests-cache 1.x into the selected cache."""

from __future__ import annotations

import argparse

from ..backends import BaseCache
from ..migrate import migrate_requests_cache_1x
from .output import ExitCode, emit_json, warn

__all__ = ['migrate']


def migrate(cache: BaseCache, args: argparse.Namespace) -> int:
    """Copy every readable 1.x response into ``cache``; report what was copied and skipped."""
    report = migrate_requests_cache_1x(args.source, cache, trust_pickle=args.trust_pickle)
    for reason in report.skipped:
        warn(f'skipped {reason}')
    for reason in report.failed:
        warn(f'not written {reason}')
    if args.json:
        emit_json({'copied': report.copied, 'skipped': report.skipped, 'failed': report.failed})
    else:
        print(
            f'copied {report.copied} responses, skipped {len(report.skipped)}, '
            f'could not write {len(report.failed)}'
        )
    if report.failed:  # "copied" counts only what the target stored and reads back
        return ExitCode.ERROR
    return ExitCode.OK if report.copied else ExitCode.NOT_FOUND
