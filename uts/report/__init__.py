"""Tests of ``daist.report``: loading results directories, the summary and HTML page, the
statistics and rules of ``compare``, the CLI and end-of-run hook, and runs against the stand-in
(a slowed endpoint flagged, JUnit XML, the page in headless Chromium)."""
