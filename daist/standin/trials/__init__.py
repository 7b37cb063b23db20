"""Trials that really run: the searcher that makes them, the runner that starts each as a local
process through ``determined.exec.launch``, its environment and the sitecustomize bootstrap
(``bootstrap/``), preemption signals, log policies, experiment actions and checkpoint storage.

May import: ``common``, ``state`` and the root's stdlib-only ``launcher`` and ``options``. The
backend that composes the runners is named through the protocols of ``host.py``, never imported.
"""
