"""Facts the docs state about the code, checked against the code so they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from requests_cache.serializers import init_serializer

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / 'docs').glob('*.md')), ROOT / 'README.md']
TAG = re.compile(r'rc/([a-z_]+)/(\d+)')


def test_every_blob_tag_in_the_docs_is_the_real_one() -> None:
    """Each format tag the docs show (``rc/binary/2``...) is the tag that format writes now."""
    shown = {
        (page.name, match.group(0)) for page in PAGES for match in TAG.finditer(page.read_text())
    }
    assert any(tag.startswith('rc/binary/') for _, tag in shown)  # the default's is shown
    for page, tag in shown:
        name = tag.split('/')[1]
        assert init_serializer(name).tag.strip() == tag, f'{page} shows {tag}'
