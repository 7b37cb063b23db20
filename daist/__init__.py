"""daist: Determined AI scalability testing."""

__version__ = "0.1.0"
