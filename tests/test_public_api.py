"""The public surface: __all__ is sorted, complete and importable, and 1.x names exist."""

from __future__ import annotations

import requests_cache


def test_all_is_sorted_and_every_name_exists():
    """__all__ is sorted and every name in it is importable from the package."""
    assert requests_cache.__all__ == sorted(
        requests_cache.__all__, key=lambda n: (not n.isupper(), n)
    )
    for name in requests_cache.__all__:
        assert hasattr(requests_cache, name), name


def test_no_public_name_is_missing_from_all():
    """Every public, non-module attribute of the package is listed in __all__."""
    import types

    public = {
        name
        for name, value in vars(requests_cache).items()
        if not name.startswith('_') and not isinstance(value, types.ModuleType)
    }
    assert public == set(requests_cache.__all__)


def test_requests_cache_1x_names_are_available():
    """Names that requests-cache 1.x code imports are still there."""
    for name in (
        'CachedSession',
        'CacheMixin',
        'install_cache',
        'uninstall_cache',
        'NEVER_EXPIRE',
        'EXPIRE_IMMEDIATELY',
        'DO_NOT_CACHE',
        'CachedResponse',
        'enabled',
        'disabled',
    ):
        assert hasattr(requests_cache, name), name
    assert requests_cache.NEVER_EXPIRE == -1 and requests_cache.EXPIRE_IMMEDIATELY == 0
