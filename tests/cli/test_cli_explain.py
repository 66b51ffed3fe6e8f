"""explain: would a response be cached, for how long, and why."""

from __future__ import annotations

from datetime import datetime, timedelta

from cli_support import Runner, Urls
from origin import Origin


def test_explain_stored_fresh_response(run: Runner, filled: Urls) -> None:
    """A fresh stored response would be served, and the reason says until when."""
    result = run('explain', filled.text, '--json')
    assert result.code == 0
    data = result.json()
    assert (data['source'], data['stored'], data['decision']) == ('cache', True, 'serve')
    assert 'fresh until' in data['reason']


def test_explain_stored_expired_response(run: Runner, filled: Urls) -> None:
    """An expired stored response would not be served as is; the text output says why."""
    result = run('explain', filled.expired)
    assert result.code == 0
    assert 'A request now would:' in result.stdout
    assert 'A request now would: serve' not in result.stdout


def test_explain_unknown_url_without_fetch_exits_1(run: Runner, filled: Urls) -> None:
    """Without --fetch and nothing stored, explain exits 1 and suggests --fetch."""
    result = run('explain', 'http://127.0.0.1:9/nothing')
    assert result.code == 1
    assert '--fetch' in result.stderr


def test_explain_fetch_no_store(run: Runner, origin: Origin) -> None:
    """--fetch --cache-control reports that Cache-Control: no-store forbids storing."""
    url = origin.route('/private', headers={'Cache-Control': 'no-store'}, body=b'x')
    data = run('explain', url, '--fetch', '--cache-control', '--json').json()
    assert data['would_store'] is False
    assert data['reason'] == 'the response has Cache-Control: no-store'


def test_explain_fetch_max_age(run: Runner, origin: Origin) -> None:
    """--fetch --cache-control uses max-age for the expiry, and nothing is stored anywhere."""
    url = origin.route('/public', headers={'Cache-Control': 'max-age=600'}, body=b'x')
    result = run('explain', url, '--fetch', '--cache-control', '--json')
    data = result.json()
    assert data['would_store'] is True
    assert 'the response headers' in data['reason']
    lifetime = datetime.fromisoformat(data['expires']) - datetime.now().astimezone()
    assert timedelta(seconds=500) < lifetime <= timedelta(seconds=600)
    assert origin.count('/public') == 1


def test_explain_fetch_expire_after(run: Runner, origin: Origin) -> None:
    """--expire-after sets the session expiry that applies without Cache-Control."""
    url = origin.route('/plain', body=b'x')
    result = run('explain', url, '--fetch', '--expire-after', '1h')
    assert result.code == 0
    assert 'would be stored' in result.stdout
    assert 'Reason: storing: the session expire_after' in result.stdout
    never = run('explain', url, '--fetch', '--expire-after', 'do-not-cache', '--json').json()
    assert never['would_store'] is False
    assert 'DO_NOT_CACHE' in never['reason']


def test_explain_fetch_status_not_allowed(run: Runner, origin: Origin) -> None:
    """A 404 is not stored by default, and the reason names allowable_codes."""
    url = origin.route('/missing', status=404, body=b'no')
    data = run('explain', url, '--fetch', '--json').json()
    assert data['would_store'] is False
    assert 'allowable_codes' in data['reason']
