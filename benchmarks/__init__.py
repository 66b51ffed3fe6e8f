"""Benchmarks: our cache against plain requests, a minimal floor, requests-cache 1.3.3 and
CacheControl 0.14.4, all talking to a local origin server on 127.0.0.1.

Run ``python -m benchmarks --quick`` (or ``python benchmarks/run.py``); see ``README.md``.

Two halves live here. The *runner* (``run``, ``origin``, ``services``, ``venvs``, ``report``,
``profile_hits``) is imported as this package. The *worker* (``worker``, ``contenders``,
``workloads``, ``sqlite_scale``, ``floor``, ``bodies``) runs as a plain script inside each
contender's own virtualenv, so it imports its siblings as top-level modules and never puts this
repository on ``sys.path`` (that would shadow the installed requests-cache 1.3.3).
"""
