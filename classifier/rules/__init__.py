"""Rules as data: strict loading, meaning checks, and the rule-set registry.

``load_ruleset("nd-07-2021")`` finds ``rules/nd-07-2021/`` under the rules root (the ``rules/``
folder of this repository, or ``$CHUAN_NGHEO_RULES``, or an explicit ``rules_root``), loads its
parent first when it ``inherits`` one, and caches the result per folder until a file's stat changes.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path

from classifier.errors import InputError, RuleFileError, RuleProblem, UnknownStandardError
from classifier.rules.loader import load_facts, load_ruleset_dir
from classifier.rules.ruleset import RuleSet
from classifier.rules.schema import did_you_mean
from classifier.rules.yamlload import load_yaml_file, read_rule_file

__all__ = [
    "RULES_ENV",
    "RuleSet",
    "default_rules_root",
    "list_standards",
    "load_ruleset",
    "load_ruleset_path",
    "standard_for_list_year",
]

# (folder, root) -> (file fingerprint, rule set, parent digest)
_CACHE: dict[tuple[str, str], tuple[tuple[tuple[str, int, int, int, str], ...], RuleSet, str]] = {}


#: The ``rules/`` folder beside the package, resolved once (the record parser asks for the root per record,
#: and resolving walks every directory of the path).
_BESIDE_PACKAGE = Path(__file__).resolve().parent.parent.parent / "rules"


#: The environment variable naming the default rules root (a province's rules folder).
RULES_ENV = "CHUAN_NGHEO_RULES"


def default_rules_root() -> Path:
    """``$CHUAN_NGHEO_RULES`` if set, else the ``rules/`` folder beside the package."""
    env = os.environ.get(RULES_ENV)
    if env:
        return Path(env)
    return _BESIDE_PACKAGE


def list_standards(rules_root: Path | None = None) -> list[str]:
    """Ids of every rule folder (a folder with a standard.yaml) under the rules root."""
    root = rules_root or default_rules_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "standard.yaml").is_file())


#: A file modified less than this many seconds ago is hashed, not trusted by its stat (see _fingerprint).
RACY_SECONDS = 2.0


def _fingerprint(*paths: Path) -> tuple[tuple[str, int, int, int, str], ...]:
    """What identifies the rule files in ``paths`` (a folder's ``*.yaml``, or one file) without reading them.

    Path, inode, size and modification time (nanoseconds) of each file: calling ``load_ruleset`` again
    then costs a few ``stat`` calls instead of a parse and a hash (it is called per household by some
    callers and hundreds of times by the property tests). A file written within the last
    ``RACY_SECONDS`` is hashed as well, because the file system's clock ticks coarsely: an edit that
    keeps the size, made in the same tick as the load, would otherwise leave the stat unchanged (git
    calls such entries "racily clean" and does the same).
    """
    now = time.time_ns()
    entries = []
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path] if path.is_file() else []
        for f in files:
            try:
                st = f.stat()
            except OSError as exc:  # a symbolic link loop: loading reports it with the file's name
                entries.append((str(f), 0, 0, 0, f"unreadable: {exc.errno}"))
                continue
            racy = now - st.st_mtime_ns < RACY_SECONDS * 1e9
            content = ""
            if racy or not stat.S_ISREG(st.st_mode):
                # Safely: a named pipe or /dev/zero among the files must not hang or fill the memory here.
                data, why = read_rule_file(f)
                content = hashlib.sha256(data).hexdigest() if data is not None else f"unreadable: {why}"
            entries.append((str(f), st.st_ino, st.st_size, st.st_mtime_ns, content))
    return tuple(entries)


def load_ruleset_path(
    folder: Path,
    rules_root: Path | None = None,
    *,
    _chain: tuple[str, ...] = (),
) -> RuleSet:
    """Load a rule folder given by path (used by ``rules check <folder>``); cheap when nothing changed."""
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
    key = (str(folder.resolve()), str(root.resolve()))
    stamp = _fingerprint(folder, facts_path)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == stamp:
        ruleset = cached[1]
        if not ruleset.inherits:
            return ruleset
        # The parent may have changed on its own: it is checked the same cheap way.
        now = load_ruleset_path(root / ruleset.inherits, root, _chain=(*_chain, folder.resolve().name))
        if now.digest == cached[2]:
            return ruleset
    parent = _parent(folder, root, _chain)
    facts = load_facts(facts_path)
    ruleset = load_ruleset_dir(folder, facts, parent)
    _CACHE[key] = (stamp, ruleset, parent.digest if parent else "")
    return ruleset


def _parent(folder: Path, root: Path, chain_so_far: tuple[str, ...]) -> RuleSet | None:
    """The loaded parent of an overlay (None for a national standard), refusing unknown ones and cycles."""
    std_path = folder / "standard.yaml"
    if not std_path.is_file():
        return None
    data, _ = load_yaml_file(std_path)
    parent_id = data.get("inherits") if isinstance(data, dict) else None
    if not parent_id:
        return None
    parent_dir = root / str(parent_id)
    chain = (*chain_so_far, folder.resolve().name)
    line = data.key_lines.get("inherits") if hasattr(data, "key_lines") else None
    if parent_dir.resolve().name in chain:
        # Without this, inheriting itself (or a loop of two) recurses until Python gives up.
        raise RuleFileError(
            [
                RuleProblem(
                    str(std_path),
                    line,
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
                    line,
                    f"inherits unknown standard {parent_id!r}",
                    hint=f"did you mean {hint!r}?" if hint else f"known: {', '.join(known)}",
                )
            ]
        )
    return load_ruleset_path(parent_dir, root, _chain=chain)


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
