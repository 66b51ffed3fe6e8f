"""``python -m requests_cache``: the same command line as ``requests-cache``."""

import sys

from .cli import main

if __name__ == '__main__':
    sys.exit(main())
