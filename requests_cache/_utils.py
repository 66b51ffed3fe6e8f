"""Private helpers of requests-cache 1.x that code written for it imports (its own test suite
does); kept under their 1.x names. Our own code does not use them."""

from __future__ import annotations

import logging
from typing import Any, Optional

__all__ = ['get_placeholder_class']

logger = logging.getLogger('requests_cache')


def get_placeholder_class(original_exception: Optional[Exception] = None) -> type:
    """A stand-in class for a feature whose dependency is missing: making one (or calling
    ``dumps``/``loads`` on one) logs and raises ``original_exception``, or an `ImportError`."""

    def fail(*_: Any, **__: Any) -> Any:
        message = 'Dependencies are not installed for this feature'
        logger.error(message)
        raise original_exception or ImportError(message)

    return type(
        'Placeholder', (), {'name': 'placeholder', '__init__': fail, 'dumps': fail, 'loads': fail}
    )
