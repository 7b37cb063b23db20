"""Tests of ``daist.standin``: the real determined SDK and CLI against the stand-in master."""
