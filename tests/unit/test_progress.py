"""Progress output: a redrawn bar on a terminal, plain periodic lines in logs, silence with --quiet."""

from __future__ import annotations

import io

from classifier.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_gets_a_bar_with_rate_and_eta() -> None:
    """On a terminal the line is redrawn in place (carriage return) and shows share, rate and ETA."""
    stream = FakeTerminal()
    progress = Progress(200, stream=stream, interval=0)
    progress.update(50)
    progress.close()
    text = stream.getvalue()
    assert text.startswith("\r") and "25.0%" in text and "50/200" in text
    assert "/s ETA" in text and text.endswith("\n")


def test_logs_get_plain_lines() -> None:
    """Without a terminal (CI, cron) each report is a whole line, with no carriage returns."""
    stream = io.StringIO()
    progress = Progress(1000, stream=stream, log_interval=0)
    progress.update(10)
    progress.update(500)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0].startswith("classify: 10/1,000 (1.0%)") and "ETA" in lines[0]
    assert len(lines) == 3


def test_quiet_and_short_runs_print_nothing() -> None:
    """--quiet silences progress; a run shorter than one interval leaves only the caller's summary."""
    quiet = io.StringIO()
    progress = Progress(10, stream=quiet, quiet=True, log_interval=0)
    progress.update(5)
    progress.close()
    assert quiet.getvalue() == ""
    short = io.StringIO()
    progress = Progress(10, stream=short, log_interval=3600)
    progress.update(5)
    progress.close()
    assert short.getvalue() == ""


def test_unknown_total_shows_count_and_rate() -> None:
    """When the size is unknown the line shows the count and the rate, without a share."""
    stream = io.StringIO()
    progress = Progress(None, stream=stream, log_interval=0)
    progress.update(42)
    assert stream.getvalue().startswith("classify: 42 ") and "%" not in stream.getvalue()
