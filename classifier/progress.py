"""Progress for long runs: a bar with rate and ETA on a terminal, plain log lines otherwise.

Written to stderr so that stdout stays clean for data. No third-party bar: the needs are small and
the output must also be readable in CI logs and cron mails (periodic lines, not carriage returns).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Call ``update(done)`` as work proceeds and ``close()`` at the end.

    ``total`` may be None (unknown size): the bar then shows count and rate only.
    """

    def __init__(
        self,
        total: int | None,
        *,
        label: str = "classify",
        stream: TextIO | None = None,
        quiet: bool = False,
        interval: float = 0.5,
        log_interval: float = 10.0,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if self.is_tty else log_interval
        self.start = time.monotonic()
        # The first line comes one interval in: short runs print only the caller's summary.
        self._last = self.start
        self._printed = False
        self.done = 0

    def update(self, done: int) -> None:
        """Record progress; redraw at most every ``interval`` seconds."""
        self.done = done
        now = time.monotonic()
        if self.quiet or now - self._last < self.interval:
            return
        self._last = now
        self._draw(now, final=False)

    def close(self) -> None:
        """Draw the final state (unless quiet or nothing was shown yet) and end the line."""
        if not self.quiet and self._printed:
            self._draw(time.monotonic(), final=True)

    def _draw(self, now: float, final: bool) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        if self.total:
            share = min(self.done / self.total, 1.0)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            eta_text = "—" if eta == float("inf") else _duration(eta)
            if self.is_tty:
                width = 30
                filled = int(share * width)
                bar = "█" * filled + "░" * (width - filled)
                line = (
                    f"\r{self.label} {bar} {share:6.1%} {self.done:,}/{self.total:,} "
                    f"{rate:,.0f}/s ETA {eta_text}"
                )
            else:
                line = (
                    f"{self.label}: {self.done:,}/{self.total:,} ({share:.1%}) {rate:,.0f}/s, "
                    f"ETA {eta_text}\n"
                )
        else:
            prefix = "\r" if self.is_tty else ""
            line = f"{prefix}{self.label}: {self.done:,} {rate:,.0f}/s"
            line += "" if self.is_tty else "\n"
        if final and self.is_tty:
            line += f" in {_duration(elapsed)}\n"
        self.stream.write(line)
        self.stream.flush()
        self._printed = True


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
