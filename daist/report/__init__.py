"""Summaries, plots, reports and comparisons of daist results."""
