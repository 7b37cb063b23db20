"""Fault injection: the rule grammar of ``--latency``/``--error-rate``/... (``spec``) and the
injector the HTTP app consults for each request (``injector``).

May import: ``common``.
"""
