"""The reliability matrix: under faults, bad input and interrupts daist ends on time, says what went wrong in one line, and loses nothing (one module per case)."""
