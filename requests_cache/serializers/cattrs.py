"""`CattrStage`, kept at its requests-cache 1.x path for code written for 1.x.

In 1.x every pipeline started with a ``CattrStage`` that turned a `CachedResponse` into a dict of
plain values (and back). Here every pipeline does that itself (see
`requests_cache.serializers.entry`), so a ``CattrStage`` placed in a pipeline is that same first
step and adds nothing; used on its own, it converts as 1.x's did. `init_converter` and
`make_decimal_timedelta_converter` build a `cattrs` converter for code that used them directly;
they need the ``cattrs`` package.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Optional

from ..errors import MissingDependencyError
from ..models import CachedResponse
from .entry import entry_to_response, response_to_entry

__all__ = ['CattrStage', 'init_converter', 'make_decimal_timedelta_converter']


class CattrStage:
    """The response <-> dict step of a pipeline.

    Args:
        factory: 1.x: a function returning the `cattrs` converter to use. Only `converter`
            uses it here.
        decode_content: 1.x's option to store bodies decoded; a no-op flag here (see
            `requests_cache.serializers.SerializerPipeline.set_decode_content`).
        kwargs: Passed to `init_converter` when `converter` is first read.
    """

    #: A pipeline drops this stage: its own first step already does the conversion.
    is_response_stage = True
    name = 'cattrs'

    def __init__(
        self,
        factory: Optional[Callable[..., Any]] = None,
        decode_content: bool = False,
        **kwargs: Any,
    ) -> None:
        self.factory = factory
        self.decode_content = decode_content
        self.obj: Any = None
        self._converter_kwargs = kwargs
        self._converter: Any = None

    @property
    def converter(self) -> Any:
        """A `cattrs` converter made with `init_converter` (needs ``cattrs``)."""
        if self._converter is None:
            self._converter = init_converter(self.factory, **self._converter_kwargs)
        return self._converter

    def dumps(self, value: Any) -> Any:
        """A `CachedResponse` as the dict of plain values every format starts from; anything
        else unchanged."""
        return response_to_entry(value) if isinstance(value, CachedResponse) else value

    def loads(self, value: Any) -> Any:
        """A dict written by `dumps` as a `CachedResponse`; anything else unchanged."""
        return entry_to_response(value, '') if isinstance(value, dict) else value

    def copy(self) -> CattrStage:
        """A copy with the same options."""
        stage = CattrStage(self.factory, self.decode_content, **self._converter_kwargs)
        stage._converter = self._converter
        return stage

    def __repr__(self) -> str:
        return 'CattrStage()'


def init_converter(
    factory: Optional[Callable[..., Any]] = None,
    convert_datetime: bool = True,
    convert_timedelta: bool = True,
) -> Any:
    """A `cattrs` converter that (un)structures a `CachedResponse` as our stored dict.

    Args:
        factory: Returns the converter to start from (default: ``cattrs.Converter``).
        convert_datetime: Store datetimes as ISO 8601 strings.
        convert_timedelta: Store timedeltas as seconds.

    Raises:
        MissingDependencyError: ``cattrs`` is not installed.
    """
    try:
        import cattrs
    except ImportError as exc:
        raise MissingDependencyError('init_converter()', 'cattrs', 'cattrs') from exc
    factory = factory or cattrs.Converter
    try:
        converter = factory(omit_if_default=True)
    except TypeError:  # converters that do not take the option
        converter = factory()
    converter.register_unstructure_hook(CachedResponse, response_to_entry)
    converter.register_structure_hook(CachedResponse, lambda value, _: entry_to_response(value, ''))
    if convert_datetime:
        converter.register_unstructure_hook(datetime, lambda value: value.isoformat())
        converter.register_structure_hook(datetime, lambda value, _: _datetime(value))
    if convert_timedelta:
        converter.register_unstructure_hook(timedelta, lambda value: value.total_seconds())
        converter.register_structure_hook(timedelta, lambda value, _: timedelta(seconds=value))
    return converter


def make_decimal_timedelta_converter(**kwargs: Any) -> Any:
    """A converter (see `init_converter`) that stores timedeltas as `Decimal` seconds, which
    DynamoDB accepts where it refuses floats.

    Raises:
        MissingDependencyError: ``cattrs`` is not installed.
    """
    kwargs.pop('convert_timedelta', None)
    converter = init_converter(convert_timedelta=False, **kwargs)
    converter.register_unstructure_hook(
        timedelta, lambda value: Decimal(str(value.total_seconds()))
    )
    converter.register_structure_hook(timedelta, lambda value, _: timedelta(seconds=float(value)))
    return converter


def _datetime(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
