"""Sphinx configuration: Markdown pages (MyST) plus an API reference from docstrings.

Build: .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

from pygments.lexers.python import PythonLexer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import requests_cache  # Why here: needs the repo root on sys.path first.

project = 'requests-cache'
author = 'requests_cache developers'
copyright = 'requests_cache developers'
release = requests_cache.__version__
version = release

extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.napoleon']
source_suffix = {'.md': 'markdown'}
exclude_patterns = ['_build']
root_doc = 'index'

# Docstrings use `name` for cross-references; unresolved ones render as code without warnings.
default_role = 'py:obj'
myst_heading_anchors = 3
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Why: ``Attributes:`` sections as :ivar: fields, so dataclass fields are not described twice.
napoleon_use_ivar = True
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'members': True, 'show-inheritance': True}

html_theme = 'alabaster'
html_title = f'requests-cache {release}'


def setup(app: object) -> None:
    """Highlight ``python-skip`` fences (samples the docs tests do not run) as Python."""
    app.add_lexer('python-skip', PythonLexer)  # type: ignore[attr-defined]
