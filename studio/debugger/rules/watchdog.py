"""The watchdog: a thread that asks a session's watchdog rules (StalledTraining) about the
silence since the last record, since they fire exactly when nothing arrives to run them."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.debugger.session import DebugSession

__all__ = ["Watchdog"]

DEFAULT_POLL_SECONDS = 5.0
MIN_POLL_SECONDS = 0.05


class Watchdog:
    """Calls `session.idle()` every `poll_seconds` on a daemon thread until `stop()`, or
    until the session is garbage: it holds the session weakly, so that a session dropped
    without `close()` does not live on in its watchdog."""

    def __init__(self, session: DebugSession, poll_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        self._session = weakref.ref(session)
        self.poll_seconds = max(MIN_POLL_SECONDS, poll_seconds)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="studio-debugger-watchdog")
        self._thread.daemon = True  # a forgotten session must not keep Python from exiting

    @classmethod
    def start_for(cls, session: DebugSession) -> Watchdog | None:
        """A running watchdog for `session`, or None where no rule of it needs one. It polls
        as often as its most impatient rule asks (`poll_seconds`)."""
        polls = [
            float(getattr(rule, "poll_seconds", DEFAULT_POLL_SECONDS))
            for rule in session.rules
            if rule.watchdog
        ]
        if not polls:
            return None
        watchdog = cls(session, min(polls))
        watchdog._thread.start()
        return watchdog

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop asking, and wait for the thread to end."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _watch(self) -> None:
        while not self._stopped.wait(self.poll_seconds):
            session = self._session()
            if session is None:
                return
            try:
                session.idle()
            except Exception:  # the watchdog must outlive a failing rule or sink
                logging.getLogger("studio.debugger").exception("The debugger watchdog failed.")
            del session
