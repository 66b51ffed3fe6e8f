"""`SettingsView`: a session's frozen settings, where setting an attribute swaps in a new value."""

from __future__ import annotations

from typing import Any, Protocol

from ..policy import CacheSettings

__all__ = ['SettingsView']


class _HasSettings(Protocol):
    _settings: CacheSettings


class SettingsView:
    """A session's frozen settings, where setting an attribute swaps in a validated copy."""

    __slots__ = ('_session',)

    def __init__(self, session: _HasSettings) -> None:
        object.__setattr__(self, '_session', session)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session._settings, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._session._settings = self._session._settings.replace(**{name: value})

    def frozen(self) -> CacheSettings:
        """The settings as they are now, as a frozen `CacheSettings`."""
        settings: CacheSettings = self._session._settings
        return settings

    def __eq__(self, other: object) -> bool:
        current = self._session._settings
        return bool(
            current == (other._session._settings if isinstance(other, SettingsView) else other)
        )

    def __hash__(self) -> int:
        return hash(self._session._settings)

    def __repr__(self) -> str:
        return repr(self._session._settings)
