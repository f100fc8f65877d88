"""The review procedure's numbers (the 15-day answer to a monthly request, the meeting's majority).

They are law, so they live in ``rules/procedures/review-round.yaml`` with their citations, never here.
When that file is missing the pages say the deadline is unknown rather than guess one.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from classifier.rules import default_rules_root
from classifier.rules.yamlload import load_yaml_file

__all__ = ["Procedure", "load_procedure"]


@attrs.frozen
class Procedure:
    """What the web application reads of the procedure file (None: not known)."""

    answer_days: int | None
    answer_citation: str | None
    approval_share_percent: float | None
    refusal_vi: str | None
    source: Path

    def deadline(self, received: dt.date) -> dt.date | None:
        """The last day of the commune's answer to a request received on ``received``."""
        return received + dt.timedelta(days=self.answer_days) if self.answer_days is not None else None

    def approved(self, participants: int, agreed: int) -> bool | None:
        """Whether the meeting agreed: at least the procedure's share of the participants."""
        if self.approval_share_percent is None or participants <= 0:
            return None
        return agreed * 100 >= self.approval_share_percent * participants


def _citation(item: dict[str, Any]) -> str | None:
    cite = item.get("citation")
    if not isinstance(cite, dict):
        return None
    parts = [str(cite.get("instrument", ""))]
    if cite.get("article"):
        parts.append(f"Điều {cite['article']}")
    text = ", ".join(p for p in parts if p)
    return text + (" (chưa đối chiếu Công báo)" if item.get("verified") is False else "")


@cache
def _load(path: Path) -> Procedure:
    data: dict[str, Any] = {}
    if path.is_file():
        loaded, problems = load_yaml_file(path)
        data = loaded if isinstance(loaded, dict) and not problems else {}
    regular = data.get("regular_review") or {}
    meeting = data.get("village_meeting") or {}
    days = regular.get("answer_days")
    share = meeting.get("approval_share_percent")
    return Procedure(
        answer_days=int(days) if isinstance(days, int) else None,
        answer_citation=_citation(regular),
        approval_share_percent=float(share) if isinstance(share, int | float) else None,
        refusal_vi=regular.get("refusal_vi"),
        source=path,
    )


def load_procedure(path: Path | None = None) -> Procedure:
    """The procedure from ``path`` (default: ``rules/procedures/review-round.yaml``)."""
    return _load(path or default_rules_root() / "procedures" / "review-round.yaml")
