"""Locust load tests of the master's REST API: endpoint catalogue, resource discovery, the user class, load shapes, verdicts and the TestCases (test_locust.py)."""
