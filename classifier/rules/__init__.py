"""Rules as data: strict loading, meaning checks, and the rule-set registry.

``load_ruleset("nd-07-2021")`` finds ``rules/nd-07-2021/`` under the rules root (the ``rules/``
folder of this repository, or ``$CHUAN_NGHEO_RULES``, or an explicit ``rules_root``), loads its
parent first when it ``inherits`` one, and caches the result per (folder, file contents).
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from classifier.errors import InputError, RuleFileError, RuleProblem, UnknownStandardError
from classifier.rules.loader import load_facts, load_ruleset_dir
from classifier.rules.ruleset import RuleSet
from classifier.rules.schema import did_you_mean
from classifier.rules.yamlload import load_yaml_file, read_rule_file

__all__ = [
    "RuleSet",
    "default_rules_root",
    "list_standards",
    "load_ruleset",
    "load_ruleset_path",
    "standard_for_list_year",
]

_CACHE: dict[tuple[str, str, str], RuleSet] = {}


def default_rules_root() -> Path:
    """``$CHUAN_NGHEO_RULES`` if set, else the ``rules/`` folder beside the package."""
    env = os.environ.get("CHUAN_NGHEO_RULES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "rules"


def list_standards(rules_root: Path | None = None) -> list[str]:
    """Ids of every rule folder (a folder with a standard.yaml) under the rules root."""
    root = rules_root or default_rules_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "standard.yaml").is_file())


def _fingerprint(*paths: Path) -> str:
    """Hash of the contents of the rule files in ``paths`` (a folder's ``*.yaml``, or one file).

    Contents, not mtime and size: an edit that keeps the size within one clock tick of the last load
    would otherwise be served the stale rule set. Rule files are small, so hashing them costs little.
    """
    h = hashlib.sha256()
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path] if path.is_file() else []
        for f in files:
            # Safely: a named pipe or /dev/zero among the files must not hang or fill the memory here
            # (loading reports the problem with the file's name).
            data, why = read_rule_file(f)
            h.update(
                str(f).encode("utf-8") + b"\0" + (data if data is not None else str(why).encode()) + b"\0"
            )
    return h.hexdigest()


def load_ruleset_path(
    folder: Path,
    rules_root: Path | None = None,
    *,
    _chain: tuple[str, ...] = (),
) -> RuleSet:
    """Load a rule folder given by path (used by ``rules check <folder>``)."""
    folder = Path(folder)
    try:
        folder.resolve(strict=folder.is_symlink())
    except (RuntimeError, OSError) as exc:  # RuntimeError: a symbolic link loop (Python 3.11)
        looping = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
        why = "it is a symbolic link that loops back on itself" if looping else str(exc)
        raise RuleFileError([RuleProblem(str(folder), None, f"cannot read rule folder: {why}")]) from None
    root = rules_root or folder.resolve().parent
    facts_path = root / "facts.yaml"
    if not facts_path.is_file():
        facts_path = default_rules_root() / "facts.yaml"
    parent = None
    std_path = folder / "standard.yaml"
    if std_path.is_file():
        data, _ = load_yaml_file(std_path)
        parent_id = data.get("inherits") if isinstance(data, dict) else None
        if parent_id:
            parent_dir = root / str(parent_id)
            chain = (*_chain, folder.resolve().name)
            if parent_dir.resolve().name in chain:
                # Without this, inheriting itself (or a loop of two) recurses until Python gives up.
                raise RuleFileError(
                    [
                        RuleProblem(
                            str(std_path),
                            data.key_lines.get("inherits") if hasattr(data, "key_lines") else None,
                            f"inherits forms a cycle: {' -> '.join((*chain, str(parent_id)))}",
                            hint="a standard cannot inherit from itself, directly or through others",
                        )
                    ]
                )
            if not (parent_dir / "standard.yaml").is_file():
                known = list_standards(root)
                hint = did_you_mean(str(parent_id), known)
                raise RuleFileError(
                    [
                        RuleProblem(
                            str(std_path),
                            data.key_lines.get("inherits") if hasattr(data, "key_lines") else None,
                            f"inherits unknown standard {parent_id!r}",
                            hint=f"did you mean {hint!r}?" if hint else f"known: {', '.join(known)}",
                        )
                    ]
                )
            parent = load_ruleset_path(parent_dir, root, _chain=chain)
    # The parent (itself cached) comes first so that an edited parent changes this key too.
    key = (str(folder.resolve()), _fingerprint(folder, facts_path), parent.digest if parent else "")
    if key in _CACHE:
        return _CACHE[key]
    facts = load_facts(facts_path)
    ruleset = load_ruleset_dir(folder, facts, parent)
    _CACHE[key] = ruleset
    return ruleset


def load_ruleset(standard: str, rules_root: Path | None = None) -> RuleSet:
    """Load a standard by id, e.g. ``load_ruleset("nd-07-2021")``."""
    root = rules_root or default_rules_root()
    folder = root / standard
    if not (folder / "standard.yaml").is_file():
        known = list_standards(root)
        raise UnknownStandardError(standard, known, did_you_mean(standard, known))
    return load_ruleset_path(folder, root)


def standard_for_list_year(year: int, rules_root: Path | None = None) -> RuleSet:
    """The national standard (not an overlay) whose validity covers list year ``year``.

    The review of late year t produces the list for year t+1, so a reviewer passes t+1. Two national
    standards covering the same year are a rule-data error (the choice would be ambiguous).
    """
    root = rules_root or default_rules_root()
    covering = []
    for standard in list_standards(root):
        ruleset = load_ruleset(standard, root)
        if ruleset.inherits:
            continue
        last = ruleset.valid_to.year if ruleset.valid_to else 9999
        if ruleset.valid_from.year <= year <= last:
            covering.append(ruleset)
    if len(covering) == 1:
        return covering[0]
    if not covering:
        spans = ", ".join(
            f"{r.id} {r.valid_from.year}–{r.valid_to.year if r.valid_to else '…'}"
            for r in (load_ruleset(s, root) for s in list_standards(root))
            if not r.inherits
        )
        raise InputError(f"no national standard covers list year {year} (known: {spans})")
    names = ", ".join(r.id for r in covering)
    raise RuleFileError(
        [
            RuleProblem(
                str(root),
                None,
                f"list year {year} is covered by several national "
                f"standards ({names}); their validity must not overlap",
            )
        ]
    )
