"""Metric-latency tests: real experiments whose trials report metrics through the Core API, timed
per report (enqueue, write, visible) while the number of concurrently reporting trials or the
payload size grows."""
