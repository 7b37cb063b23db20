"""Seed data: a deterministic cluster (users, workspaces, experiments, metrics, ...) from
``--scale`` and ``--seed``, written straight into the store.

May import: ``common``, ``state``, ``trials``.
"""
