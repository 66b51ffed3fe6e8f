"""Setting errors that teach: the methods allowable_methods takes, the values stale_if_error
takes, and the name of what the user called in an unknown-keyword message."""

from __future__ import annotations

import pytest

import requests_cache
from requests_cache import CacheSettings, ConfigurationError, UnknownSettingError


@pytest.mark.parametrize(
    ('methods', 'expected'),
    [
        ('GET', ('GET',)),  # a bare string is one method, as requests-cache 1.x took it
        ('post', ('POST',)),
        (['get', 'Head'], ('GET', 'HEAD')),
        (['QUERY', 'PROPFIND', 'report'], ('QUERY', 'PROPFIND', 'REPORT')),  # registered ones
        (['PURGE', 'GETALL'], ('PURGE', 'GETALL')),  # extension methods, not typos
    ],
)
def test_allowable_methods_accepted(methods: object, expected: tuple[str, ...]) -> None:
    """Standard and registered methods in any case, a bare string, and extension methods."""
    assert CacheSettings.from_kwargs(allowable_methods=methods).allowable_methods == expected


@pytest.mark.parametrize(
    ('methods', 'suggestion'),
    [(['GTE'], 'GET'), (['GET', 'HAED'], 'HEAD'), ('POSTS', 'POST'), (['PATH'], 'PATCH')],
)
def test_misspelt_method_is_rejected_with_the_list(methods: object, suggestion: str) -> None:
    """A method one typo away from a standard one is a ConfigurationError that suggests the
    method and lists the methods allowed."""
    with pytest.raises(ConfigurationError) as info:
        CacheSettings.from_kwargs(allowable_methods=methods)
    message = str(info.value)
    assert f'did you mean {suggestion!r}?' in message
    assert 'allowed: a method name or an iterable of them: GET, HEAD, POST, PUT' in message


@pytest.mark.parametrize('methods', [['GET POST'], [''], [1], 5, [b'GET']])
def test_non_method_values_are_rejected(methods: object) -> None:
    """Values that are not method names (RFC 9110 tokens) are rejected, naming the setting."""
    with pytest.raises(ConfigurationError, match=r'allowable_methods=.* is not valid'):
        CacheSettings.from_kwargs(allowable_methods=methods)


def test_rejected_method_is_rejected_by_the_session_too() -> None:
    """CachedSession(allowable_methods=['GTE']) fails at construction, not at the first POST."""
    with pytest.raises(ConfigurationError, match="did you mean 'GET'"):
        requests_cache.CachedSession(backend='memory', allowable_methods=['GTE'])


@pytest.mark.parametrize('name', ['stale_if_error', 'stale_while_revalidate'])
def test_stale_setting_message_lists_true_and_false(name: str) -> None:
    """The message for a bad stale_if_error names True and False among the allowed values."""
    with pytest.raises(ConfigurationError) as info:
        CacheSettings.from_kwargs(**{name: 'yes'})
    assert f"{name}='yes' is not valid; allowed: True (no limit), False (off)" in str(info.value)
    assert 'a number of seconds >= 0' in str(info.value)


@pytest.mark.parametrize(
    ('call', 'caller'),
    [
        (lambda: requests_cache.CachedSession(backend='memory', expire_aftr=1), 'CachedSession'),
        (
            lambda: requests_cache.CachedSession('c', use_memory=True, expire_aftr=1),
            'CachedSession',
        ),
        (
            lambda: requests_cache.CachedSession(
                backend=requests_cache.MemoryCache(), expire_aftr=1
            ),
            'CachedSession',
        ),
        (
            lambda: requests_cache.install_cache('c', backend='memory', expire_aftr=1),
            'install_cache',
        ),
        (lambda: requests_cache.SQLiteCache('c', use_memory=True, expire_aftr=1), 'SQLiteCache'),
    ],
)
def test_unknown_keyword_names_what_the_user_called(call, caller: str) -> None:
    """An unknown keyword names the function or class the user called, not a backend class the
    user never saw, and suggests the closest valid name."""
    with pytest.raises(UnknownSettingError) as info:
        call()
    assert str(info.value) == (
        f"{caller}() got an unexpected keyword argument 'expire_aftr'; did you mean 'expire_after'?"
    )
    assert requests_cache.get_cache() is None  # install_cache installed nothing


def test_backend_of_the_wrong_type_is_a_configuration_error() -> None:
    """backend=['x'] is a ConfigurationError that says what backend= takes, not a TypeError
    from deep inside."""
    with pytest.raises(ConfigurationError, match='allowed: a backend name or a BaseCache'):
        requests_cache.CachedSession(backend=['sqlite'])  # type: ignore[arg-type]
