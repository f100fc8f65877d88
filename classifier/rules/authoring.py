"""`rules new`: start a local (provincial) overlay from a national standard.

The overlay inherits everything; its parameters.yaml starts as a copy of the parent's parameter
entries (with their citations) so that an official changes a value *and* its citation in one place.
It is created ``provisional`` until someone who holds the local resolution marks it otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

from classifier.errors import InputError
from classifier.rules import load_ruleset

__all__ = ["new_overlay"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")

_STANDARD = """\
# Local standard (overlay) created by `chuan-ngheo rules new {name} --from {parent}`.
# It inherits every parameter, indicator and classification rule of {parent}. To change the law:
#   - parameters.yaml: edit a value AND its citation (the People's Council resolution, article, clause);
#   - indicators.yaml / classification.yaml (create them when needed): entries with the parent's id replace
#     the parent's entry; new ids add indicators or rules;
#   - remove: below drops parent indicators or rules by id.
# Then: chuan-ngheo rules check rules/{name} && chuan-ngheo rules verify rules/{name}
id: {name}
inherits: {parent}
title_vi: "Chuẩn nghèo địa phương {name} (kế thừa {parent}) — cần điền số hiệu nghị quyết"
title_en: "Local poverty standard {name} (inherits {parent}) — fill in the resolution"
status: provisional
valid_from: {valid_from}
valid_to: {valid_to}
remove:
  indicators: []
  rules: []
"""


def new_overlay(name: str, parent: str, rules_root: Path) -> Path:
    """Create ``rules_root/name`` inheriting ``parent``; refuses to overwrite an existing folder."""
    if not _NAME.match(name):
        raise InputError(
            f"overlay name {name!r}: expected lower-case letters, digits and dashes, e.g. 'ha-noi-2027'"
        )
    folder = rules_root / name
    if folder.exists():
        raise InputError(f"{folder} already exists; choose another name or edit it directly")
    base = load_ruleset(parent, rules_root)
    source = (base.source_dir / "parameters.yaml").read_text(encoding="utf-8")
    folder.mkdir(parents=True)
    (folder / "standard.yaml").write_text(
        _STANDARD.format(
            name=name,
            parent=parent,
            valid_from=base.valid_from.isoformat(),
            valid_to=base.valid_to.isoformat() if base.valid_to else "null",
        ),
        encoding="utf-8",
    )
    header = (
        f"# Copied from {parent}/parameters.yaml by `rules new`. Change a value together with its\n"
        "# citation and set verified: true only after checking the gazetted text.\n"
    )
    (folder / "parameters.yaml").write_text(header + source, encoding="utf-8")
    return folder
