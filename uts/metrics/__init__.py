"""Tests of ``daist.metrics`` (and its models and plots): probes, settings, and real sweeps on the stand-in master."""
