"""`LazyPipeline`: a named format whose library is imported only when the format is first used.

``yaml_serializer`` and ``bson_serializer`` are pipeline objects, as in requests-cache 1.x, so
``serializer=yaml_serializer`` works; importing them does not import PyYAML or pymongo, and a
missing library is reported (`MissingDependencyError`) when the format is first used.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from .pipeline import SerializerPipeline

__all__ = ['LazyPipeline']


class LazyPipeline(SerializerPipeline):
    """A pipeline built by ``factory`` on first use; until then only its ``name`` is known.

    Every attribute and method is the built pipeline's. Calling the object returns the built
    pipeline too, so the factory-function spelling ``yaml_serializer()`` keeps working.

    Args:
        name: The format name.
        factory: Builds the pipeline; may raise `MissingDependencyError`.
    """

    #: Its stages join a pipeline it is placed in, like a plain pipeline's (see pipeline._steps).
    joins_pipelines = True

    def __init__(self, name: str, factory: Callable[[], SerializerPipeline]) -> None:
        # Deliberately not SerializerPipeline.__init__: the stages are not known yet.
        self.name = name
        self._factory = factory
        self._built: Optional[SerializerPipeline] = None
        self._lock = threading.Lock()

    def load(self) -> SerializerPipeline:
        """Build the pipeline now (importing its library), remember it, and return it.

        Raises:
            MissingDependencyError: The library the format needs is not installed.
        """
        built = self._factory()
        self._built = built
        return built

    def _loaded(self) -> SerializerPipeline:
        built = self._built
        if built is None:
            with self._lock:
                built = self._built if self._built is not None else self.load()
        return built

    def __call__(self) -> SerializerPipeline:
        return self.load()

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes this object lacks: everything but name and the factory.
        if name.startswith('__') or name in ('_built', '_factory', '_lock'):
            raise AttributeError(name)
        return getattr(self._loaded(), name)

    def __repr__(self) -> str:
        state = 'loaded' if self._built is not None else 'not loaded yet'
        return f'<LazyPipeline {self.name!r} ({state})>'
