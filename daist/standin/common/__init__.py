"""What every room of the stand-in shares: Determined's error shape (``errors``), its JSON wire
format (``wire``), regexes from outside compiled and matched by RE2 as on the master
(``regex``) and paths kept inside the work directory (``confine``).

May import: nothing of the stand-in (the floor every other room stands on).
"""
