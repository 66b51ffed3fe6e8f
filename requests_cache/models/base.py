"""`RichMixin`, kept for code written for requests-cache 1.x (where models shared it).

Our own models do not use it; a class that mixes it in gets the pretty-printing 1.x models had.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import Any

__all__ = ['RichMixin']

_NO_DEFAULT = object()


class RichMixin:
    """Gives a dataclass or attrs class a ``__rich_repr__`` and a ``repr`` without defaults.

    Fields still at their default value are left out of both, and datetimes are shown as
    strings, as requests-cache 1.x printed its models.
    """

    def __rich_repr__(self) -> Iterator[tuple[str, Any, Any]]:
        """Yield ``(name, value, default)`` for each field, for `rich`'s pretty printer (which
        leaves out a value equal to its default)."""
        for name, default in _fields(self):
            value = getattr(self, name)
            if isinstance(value, datetime):
                value, default = str(value), str(default)
            yield name, value, default

    def __repr__(self) -> str:
        shown = [
            f'{name}={value!r}' for name, value, default in self.__rich_repr__() if value != default
        ]
        return f'{type(self).__name__}({", ".join(shown)})'


def _fields(obj: Any) -> Iterator[tuple[str, Any]]:
    """(name, default) pairs of the shown fields of a dataclass or attrs instance."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            if not f.repr:
                continue
            if f.default is not dataclasses.MISSING:
                yield f.name, f.default
            elif f.default_factory is not dataclasses.MISSING:
                yield f.name, f.default_factory()
            else:
                yield f.name, _NO_DEFAULT
        return
    for attribute in getattr(type(obj), '__attrs_attrs__', ()):
        if not attribute.repr:
            continue
        default = attribute.default
        factory = getattr(default, 'factory', None)
        yield attribute.name, factory() if callable(factory) else default
