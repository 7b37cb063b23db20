"""Text from outside (a master's answers, a results directory, the results database) made safe
for a terminal: the one function every console path of daist prints through.

A terminal acts on control characters: ESC starts sequences that recolour, move the cursor,
retitle the window, rewrite the clipboard or (on some terminals) answer back as typed input;
CR overwrites a line; C1 controls (U+0080..U+009F, e.g. CSI U+009B) act like ESC sequences.
``for_terminal`` shows each of them escaped (``\\x1b``), so a name or a reason phrase reads as
what it is. Line feeds and tabs are kept: daist's own output is lines and columns.
"""
from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def for_terminal(text: str) -> str:
    """``text`` with every C0 control but LF and TAB, DEL and every C1 control shown as
    ``\\xNN``."""
    return _CONTROLS.sub(_escaped, text)
