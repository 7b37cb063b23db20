"""daist's one extension mechanism: named events on one object (as Locust's ``Events``, written
for daist: no gevent, no Locust). ``daist.app`` adds its listeners (the settings each test kind
checks, the results-database upload, the end-of-run report, the Markdown summary) and hands the
object to the CLI, which gives it to each run's ``Session``. Framework fires the events and
never imports a listener. Every event is listed in docs/harness-api.md."""
from __future__ import annotations

from typing import Any, Callable

from daist.framework.log import get_logger

log = get_logger("events")


class EventHook:
    """Listeners of one event, called in the order they were added."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[..., Any]] = []

    def add_listener(self, listener: Callable[..., Any]) -> Callable[..., Any]:
        """Adds ``listener`` (once: a second add is ignored); returns it, so it decorates."""
        if listener not in self._listeners:
            self._listeners.append(listener)
        return listener

    def remove_listener(self, listener: Callable[..., Any]) -> None:
        self._listeners.remove(listener)

    @property
    def listeners(self) -> list[Callable[..., Any]]:
        return list(self._listeners)

    def fire(self, **kwargs: Any) -> list[Any]:
        """Calls every listener with ``kwargs``; an exception ends the firing (the caller
        decides what it means). Returns what the listeners returned, ``None`` left out."""
        answers = [listener(**kwargs) for listener in list(self._listeners)]
        return [answer for answer in answers if answer is not None]

    def fire_each(self, *, on_error: Callable[[Callable[..., Any], Exception], None],
                  **kwargs: Any) -> list[Any]:
        """Calls every listener even when one fails: ``on_error(listener, exc)`` is told."""
        answers = []
        for listener in list(self._listeners):
            try:
                answers.append(listener(**kwargs))
            except Exception as exc:
                on_error(listener, exc)
        return [answer for answer in answers if answer is not None]

    def __bool__(self) -> bool:
        return bool(self._listeners)

    def __repr__(self) -> str:
        return f"<EventHook {self.name}: {len(self._listeners)} listener(s)>"


class Events:
    """The events of ``python -m daist``, with the keyword arguments each listener gets."""

    def __init__(self) -> None:
        self.check_settings = EventHook("check_settings")
        """``settings``: before anything starts; a listener raises ``ConfigError`` (one line,
        exit 2). Each test kind's checks, the stand-in's fault rules."""
        self.test_stop = EventHook("test_stop")
        """``session, test_id``: after each test's verdict is recorded (the results-database
        upload). A listener's exception is a problem of the run (exit 1), not of the test."""
        self.run_stop = EventHook("run_stop")
        """``session``: once when the run ends, before the last manifest save (the report,
        the upload's closing line). A returned string is a closing note for the console;
        a listener's exception is logged and the others still run."""
        self.summary_md = EventHook("summary_md")
        """``session, path``: ``--summary-md PATH``, after the run (on every ending). No
        listener: the option is refused before the run starts."""
