"""Credentials named in ignored_parameters stay out of keys, storage and logs."""

from __future__ import annotations

import logging

from requests_cache import CachedSession

CANARY = 'canary-s3cr3t-value'


def _storage_bytes(tmp_path):
    return b''.join(p.read_bytes() for p in tmp_path.rglob('*') if p.is_file())


def test_api_key_query_param_is_kept_apart_by_value(session, origin):
    """Requests differing only in a credential query parameter never share an entry; the same
    credential in another parameter order hits."""
    session.get(origin.url('/data?api_key=first&page=2'))
    assert session.get(origin.url('/data?page=2&api_key=second')).from_cache is False
    assert session.get(origin.url('/data?page=2&api_key=first')).from_cache is True
    assert origin.count() == 2


def test_shared_credentials_restore_one_entry_per_url(tmp_path, origin):
    """isolate_credentials=False keeps requests-cache 1.x's one entry for every credential."""
    session = CachedSession(str(tmp_path / 'c'), isolate_credentials=False)
    session.get(origin.url('/data?api_key=first'), headers={'Authorization': 'Bearer a'})
    response = session.get(origin.url('/data?api_key=second'), headers={'Authorization': 'b'})
    assert response.from_cache is True and origin.count() == 1


def test_secrets_never_reach_the_sqlite_files_or_logs(tmp_path, origin, caplog):
    """A canary in the URL, headers, userinfo and body appears in no stored byte and no log."""
    caplog.set_level(logging.DEBUG, logger='requests_cache')
    session = CachedSession(str(tmp_path / 'cache'), allowable_methods=('GET', 'POST'))
    # The origin's bodies must not echo the canary: a server's own body is not ours to redact.
    for path in ('/final', '/form', '/json', '/u'):
        origin.route(path, body=b'plain body')
    final = origin.url(f'/final?access_token={CANARY}')
    start = origin.route(
        f'/start?apikey={CANARY}', status=302, headers={'Location': final}, body=b''
    )
    session.get(start, headers={'Authorization': f'Bearer {CANARY}', 'X-API-Key': CANARY})
    session.post(origin.url('/form'), data={'api_key': CANARY, 'q': 'x'})
    session.post(origin.url('/json'), json={'access_token': CANARY, 'q': 'x'})
    userinfo = origin.url('/u').replace('http://', f'http://user:{CANARY}@')
    session.get(userinfo)
    session.close()
    assert origin.count() == 5
    assert CANARY.encode() not in _storage_bytes(tmp_path)
    assert CANARY not in caplog.text
    assert 'storing' in caplog.text


def test_stored_request_keeps_the_parameters_that_are_not_secret(session, origin):
    """Redaction removes only the ignored names; the rest of the stored request stays intact."""
    url = origin.url('/keep?page=3&api_key=zzz')
    headers = {'Authorization': 'Bearer zzz', 'Accept': 'text/plain'}
    session.get(url, headers=headers)
    stored = session.cache.get_response(session.get(url, headers=headers).cache_key)
    assert stored.request.url.endswith('/keep?page=3&api_key=REDACTED')
    assert stored.request.headers['Authorization'] == 'REDACTED'
    assert stored.request.headers['Accept'] == 'text/plain'


def test_set_cookie_is_not_stored_but_reaches_the_live_response(session, origin):
    """Set-Cookie stays on the live response and in the session jar, and is never stored."""
    url = origin.route('/login', headers={'Set-Cookie': f'sid={CANARY}; Path=/'})
    live = session.get(url)
    assert live.headers['Set-Cookie'].startswith('sid=')
    assert session.cookies.get('sid') == CANARY
    # The cookie now goes with every request: a credential, so a new entry of its own.
    assert session.get(url).from_cache is False
    hit = session.get(url)
    assert hit.from_cache is True and 'Set-Cookie' not in hit.headers


def test_store_set_cookie_keeps_it_when_asked(tmp_path, origin):
    """store_set_cookie=True stores Set-Cookie like any other header."""
    session = CachedSession(str(tmp_path / 'c'), store_set_cookie=True)
    url = origin.route('/keep-cookie', headers={'Set-Cookie': 'theme=dark'})
    session.get(url)
    assert session.get(url).headers['Set-Cookie'] == 'theme=dark'
