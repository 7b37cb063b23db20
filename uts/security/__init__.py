"""Adversarial tests: each module tries one way of turning daist or its stand-in against its
host or its users, and fails if the attempt works."""
