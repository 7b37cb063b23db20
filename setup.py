#!/usr/bin/env python3
"""Compatibility shim for tools that still look for setup.py.

Everything (metadata, dependencies, package data) is declared in pyproject.toml; build with
``./build_pkg.py`` (PEP 517) and never run this file directly.
"""
from setuptools import setup

setup()
