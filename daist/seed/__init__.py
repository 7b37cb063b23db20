"""Realistic data on any master through its public API, idempotent and removable by label
(``python -m daist.seed``; see ``daist.seed.cli``)."""
