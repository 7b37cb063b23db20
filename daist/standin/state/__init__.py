"""The master's state: the SQLite schema, ``StandinStore`` and its mixins by Determined service
(``store_*``), the entities they return (users, workspaces, experiments, trials, tasks, ...),
experiment configs, checkpoint order, metric summaries and the webhook events a change fires.

May import: ``common``.
"""
