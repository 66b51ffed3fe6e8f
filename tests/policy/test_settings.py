"""CacheSettings and RequestOptions: validation, deprecations, immutability, status codes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from requests_cache.errors import ConfigurationError, UnknownSettingError
from requests_cache.policy.expiration import DO_NOT_CACHE, NEVER_EXPIRE
from requests_cache.policy.settings import (
    DEFAULT_IGNORED_PARAMETERS,
    CacheSettings,
    RequestOptions,
    split_kwargs,
)


def test_defaults() -> None:
    """Without keywords the settings never expire, ignore credentials and follow no headers."""
    settings = CacheSettings.from_kwargs()
    assert settings.expire_after is NEVER_EXPIRE
    assert settings.cache_control is False
    assert settings.allowable_methods == ('GET', 'HEAD')
    assert settings.ignored_parameters == DEFAULT_IGNORED_PARAMETERS


@pytest.mark.parametrize(
    ('name', 'suggestion'),
    [
        ('expire_afer', 'expire_after'),
        ('allowable_code', 'allowable_codes'),
        ('cache_controll', 'cache_control'),
        ('ignored_params', 'ignored_parameters'),
    ],
)
def test_unknown_setting_names_closest(name: str, suggestion: str) -> None:
    """An unknown keyword is a TypeError that names the closest valid setting."""
    with pytest.raises(UnknownSettingError) as info:
        CacheSettings.from_kwargs(**{name: 1})
    assert isinstance(info.value, TypeError)
    assert repr(name) in str(info.value)
    assert f'did you mean {suggestion!r}' in str(info.value)


def test_unknown_setting_without_close_match() -> None:
    """A keyword like no setting gives no suggestion."""
    with pytest.raises(UnknownSettingError) as info:
        CacheSettings.from_kwargs(zzzzzz=1)
    assert 'did you mean' not in str(info.value)


@pytest.mark.parametrize(
    ('old', 'new', 'value', 'expected'),
    [
        ('old_data_on_error', 'stale_if_error', True, True),
        ('include_get_headers', 'match_headers', True, True),
    ],
)
def test_deprecated_names_warn_and_rename(
    old: str, new: str, value: object, expected: object
) -> None:
    """0.6 setting names warn with DeprecationWarning and set the new setting."""
    with pytest.warns(DeprecationWarning, match=old):
        settings = CacheSettings.from_kwargs(**{old: value})
    assert getattr(settings, new) == expected


def test_replace_accepts_deprecated_names() -> None:
    """replace() renames 0.6 names like from_kwargs does, instead of crashing."""
    settings = CacheSettings.from_kwargs()
    with pytest.warns(DeprecationWarning, match='old_data_on_error'):
        changed = settings.replace(old_data_on_error=True)
    assert changed.stale_if_error is True


@pytest.mark.parametrize(
    'kwargs',
    [
        {'allowable_codes': [200, 'x']},
        {'allowable_codes': [99]},
        {'allowable_codes': [600]},
        {'allowable_codes': [True]},
        {'allowable_codes': 200},
        {'allowable_codes': '200'},
        {'allowable_methods': ['GET', '']},
        {'allowable_methods': [1]},
        {'ignored_parameters': 'token'},
        {'ignored_parameters': [1]},
        {'match_headers': 'Accept'},
        {'cache_control': 1},
        {'read_only': 'yes'},
        {'always_revalidate': None},
        {'filter_fn': 'not callable'},
        {'key_fn': 3},
        {'stale_if_error': -5},
        {'stale_while_revalidate': 'soon'},
        {'expire_after': -2},
        {'urls_expire_after': {'a.com': 'x'}},
    ],
)
def test_invalid_values_rejected(kwargs: dict[str, object]) -> None:
    """An invalid value raises ConfigurationError that names the setting."""
    with pytest.raises(ConfigurationError) as info:
        CacheSettings.from_kwargs(**kwargs)
    assert next(iter(kwargs)) in str(info.value)


def test_values_normalized() -> None:
    """Iterables become tuples, methods are upper-cased, and expirations are parsed."""
    settings = CacheSettings.from_kwargs(
        allowable_codes=iter([200, 404]),
        allowable_methods=['get', 'Post'],
        ignored_parameters=None,
        match_headers=['Accept'],
        expire_after=60,
        stale_if_error=30,
    )
    assert settings.allowable_codes == (200, 404)
    assert settings.allowable_methods == ('GET', 'POST')
    assert settings.ignored_parameters == ()
    assert settings.match_headers == ('Accept',)
    assert settings.expire_after == timedelta(seconds=60)
    assert settings.stale_if_error == timedelta(seconds=30)


def test_settings_are_frozen() -> None:
    """Assigning to a setting raises instead of changing a shared value."""
    settings = CacheSettings.from_kwargs()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.expire_after = timedelta(1)  # type: ignore[misc]


def test_replace_returns_new_and_keeps_old() -> None:
    """replace() validates, returns a new value, and leaves the original unchanged."""
    settings = CacheSettings.from_kwargs(expire_after=60, read_only=True)
    changed = settings.replace(expire_after=DO_NOT_CACHE)
    assert changed.expire_after is DO_NOT_CACHE
    assert changed.read_only is True
    assert settings.expire_after == timedelta(seconds=60)
    assert changed is not settings


@pytest.mark.parametrize('kwargs', [{'expire_after': 'x'}, {'expier_after': 1}])
def test_replace_validates(kwargs: dict[str, object]) -> None:
    """replace() rejects what from_kwargs rejects."""
    with pytest.raises(ConfigurationError):
        CacheSettings.from_kwargs().replace(**kwargs)


@pytest.mark.parametrize(
    ('kwargs', 'status', 'explicit', 'expected'),
    [
        ({}, 200, False, True),
        ({}, 404, False, False),
        ({}, 404, True, False),
        ({'cache_control': True}, 200, False, True),
        ({'cache_control': True}, 404, False, False),
        ({'cache_control': True}, 404, True, True),
        ({'cache_control': True}, 301, True, True),
        ({'allowable_codes': [200, 404]}, 404, False, True),
        ({'allowable_codes': [404]}, 200, False, False),
        ({'allowable_codes': [200], 'cache_control': True}, 404, True, False),
    ],
)
def test_stores_code(
    kwargs: dict[str, object], status: int, explicit: bool, expected: bool
) -> None:
    """Default codes: (200,), or any status with explicit freshness under cache_control;
    explicit allowable_codes always restrict."""
    assert CacheSettings.from_kwargs(**kwargs).stores_code(status, explicit) is expected


def test_request_options_defaults() -> None:
    """No per-request options means no overrides."""
    assert RequestOptions.from_kwargs() == RequestOptions(None, False, False, False)


def test_request_options_parses_expire_after() -> None:
    """A per-request expire_after is parsed like the session's; flags are kept."""
    options = RequestOptions.from_kwargs(expire_after=-1, refresh=True, only_if_cached=True)
    assert options.expire_after is NEVER_EXPIRE
    assert options.refresh is True
    assert options.only_if_cached is True
    assert options.force_refresh is False


@pytest.mark.parametrize(
    ('kwargs', 'fragment'),
    [
        ({'expire_after': -2}, 'expire_after=-2'),
        ({'refresh': 1}, 'refresh=1'),
        ({'only_if_cached': 'yes'}, "only_if_cached='yes'"),
        ({'force_refresh': None}, 'force_refresh=None'),
    ],
)
def test_request_options_invalid(kwargs: dict[str, object], fragment: str) -> None:
    """Invalid per-request options raise ConfigurationError naming the option."""
    with pytest.raises(ConfigurationError) as info:
        RequestOptions.from_kwargs(**kwargs)
    assert fragment in str(info.value)


def test_split_kwargs() -> None:
    """Setting names (deprecated ones too) go one way, everything else the other."""
    settings, others = split_kwargs({'expire_after': 1, 'old_data_on_error': True, 'timeout': 3})
    assert settings == {'expire_after': 1, 'old_data_on_error': True}
    assert others == {'timeout': 3}
