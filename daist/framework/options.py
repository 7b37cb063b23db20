"""Locust's own flags on ``./run.py`` and ``daist run`` (``-u 50 -r 10 -t 5m -H URL``), each a
spelling of one setting: a flag wins over the environment, which wins over the config file."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from daist.framework.settings import settings_table


@dataclass(frozen=True)
class SettingFlag:
    short: str
    long: str
    key: str
    """The setting it sets, as ``section.key``."""
    metavar: str
    meaning: str

    @property
    def dest(self) -> str:
        return self.long.lstrip("-").replace("-", "_")

    @property
    def spelling(self) -> str:
        return f"{self.short}/{self.long}"


SETTING_FLAGS = (
    SettingFlag("-u", "--users", "locust.users", "N", "concurrent simulated users"),
    SettingFlag("-r", "--spawn-rate", "locust.spawn_rate", "RATE", "users started per second"),
    SettingFlag("-t", "--run-time", "locust.run_time", "TIME",
                "load per test after spawning (30, 30s, 5m, 1h30m)"),
    SettingFlag("-H", "--host", "determined.DET_MASTER", "URL",
                "the Determined master, as the det CLI takes it (http://master:8080)"),
)


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    rows = {key: (env, default) for key, env, default, _ in settings_table()}
    group = parser.add_argument_group(
        "Locust's flags", "each sets one setting and wins over its environment variable and "
                          "the config file")
    for flag in SETTING_FLAGS:
        section, key = flag.key.split(".")
        env, default = rows[f"[{section}] {key}"]
        shown = f"default {default}" if default else "default: the embedded stand-in"
        group.add_argument(flag.short, flag.long, dest=flag.dest, metavar=flag.metavar,
                           help=f"{flag.meaning} ([{section}] {key}, {env}; {shown})")


def setting_options(args: argparse.Namespace) -> dict[str, tuple[str, str]]:
    """The flags given, as ``load_settings(options=...)`` takes them."""
    return {flag.key: (getattr(args, flag.dest), flag.spelling) for flag in SETTING_FLAGS
            if getattr(args, flag.dest) is not None}
