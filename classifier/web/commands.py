"""``chuan-ngheo serve`` and ``chuan-ngheo user …``: the web application's command-line side.

The password of a new account comes from a prompt (typed twice), from standard input
(``--password-stdin``) or from an environment variable named by ``--password-env``; there is no
default password, and the password never appears on the command line or in a log.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from classifier.errors import InputError

__all__ = ["add_parsers", "run_serve", "run_user"]


def _add_place(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database",
        default=None,
        help="SQLAlchemy URL of the register, e.g. postgresql+psycopg://user@host/db "
        "(default: $CHUAN_NGHEO_DATABASE_URL, else DATA_DIR/register.sqlite)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the register file and the secret key (default: $CHUAN_NGHEO_DATA_DIR, "
        "else ./chuan-ngheo-data)",
    )


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve`` and ``user`` to the main parser's sub-commands."""
    s = sub.add_parser(
        "serve",
        help="the web application for a commune's review (Vietnamese, English switch) and the HTTP API",
        epilog="example:\n  chuan-ngheo serve --sample   # then open http://127.0.0.1:8000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1: this machine only)"
    )
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    s.add_argument(
        "--workers", type=int, default=1, help="worker processes (default: 1; one per core at most)"
    )
    s.add_argument(
        "--sample",
        action="store_true",
        help="when the register has no round yet, open round 2026 with the bundled sample commune "
        "(and write its Excel workbook to DATA_DIR/mau-xa-hop-hung.xlsx to try the import page)",
    )
    s.add_argument("--secure-cookies", action="store_true", help="send cookies over HTTPS only (behind TLS)")
    s.add_argument(
        "--rules-dir",
        type=Path,
        default=None,
        help="rules root folder, as for classify and round (default: $CHUAN_NGHEO_RULES, else the "
        "repository's rules/)",
    )
    _add_place(s)

    u = sub.add_parser("user", help="accounts of the web application: add, list, API token")
    usub = u.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    ua = usub.add_parser(
        "add",
        help="create an account (the first officer is the administrator)",
        epilog="example:\n  chuan-ngheo user add admin --role officer    # prompts for the password\n"
        "  printf '%s' \"$PW\" | chuan-ngheo user add lan --role reviewer --village 'Thôn Đoài' \\\n"
        "      --password-stdin",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ua.add_argument("name", help="user name: a–z, 0–9, '.', '_' or '-'")
    ua.add_argument("--role", required=True, choices=("officer", "reviewer", "viewer"))
    ua.add_argument("--village", action="append", default=[], help="a village a reviewer may edit (repeat)")
    how = ua.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    how.add_argument("--password-env", metavar="VAR", help="read the password from environment variable VAR")
    _add_place(ua)
    ut = usub.add_parser("token", help="a new API token for an account (shown once)")
    ut.add_argument("name")
    _add_place(ut)
    ul = usub.add_parser("list", help="the accounts and their roles")
    _add_place(ul)


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from classifier.web.settings import Settings

    return Settings.load(
        database_url=args.database,
        data_dir=args.data_dir,
        rules_root=getattr(args, "rules_dir", None),
        secure_cookies=getattr(args, "secure_cookies", False),
    )


def _engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from classifier.web.db import ensure_schema, make_engine

    engine = make_engine(_settings(args).database_url)
    ensure_schema(engine)
    return engine


def _read_password(args: argparse.Namespace) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise InputError(f"environment variable {args.password_env} is not set or empty")
        return value
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no password: use --password-stdin or --password-env VAR when not at a terminal")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InputError("the two passwords differ; nothing was created")
    return first


def run_user(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``chuan-ngheo user add|token|list``."""
    from classifier.web.auth import AccountError, add_user, list_users, new_api_token

    engine = _engine(args)
    try:
        if args.user_command == "add":
            user = add_user(engine, args.name, _read_password(args), args.role, args.village, actor="cli")
            out.write(f"created {user.username} ({user.role})\n")
        elif args.user_command == "token":
            out.write(new_api_token(engine, args.name) + "\n")
            err.write("keep this token secret: it is shown once and stored only as a hash\n")
        else:
            for user in list_users(engine):
                villages = f"  {', '.join(user.villages)}" if user.villages else ""
                out.write(f"{user.username:20} {user.role:9}{villages}\n")
    except (AccountError, ValueError) as exc:
        raise InputError(str(exc)) from None
    finally:
        engine.dispose()
    return 0


def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``chuan-ngheo serve``: the application on this machine until interrupted."""
    import uvicorn

    from classifier.web.app import create_app
    from classifier.web.auth import list_users
    from classifier.web.settings import ENV_DATA_DIR, ENV_DATABASE

    settings = _settings(args)
    app = create_app(settings)
    engine = app.state.web.engine
    if not any(u.is_officer for u in list_users(engine)):
        err.write(
            "warning: no officer account yet; create one first:\n"
            "  chuan-ngheo user add admin --role officer\n"
        )
    if args.sample:
        from classifier.web.sample import open_sample_round, sample_workbook

        note = open_sample_round(app.state.web.register)
        if note:
            err.write(note + "\n")
        err.write(f"sample workbook: {sample_workbook(settings.data_dir / 'mau-xa-hop-hung.xlsx')}\n")
    err.write(f"serving on http://{args.host}:{args.port} (register: {engine.url.render_as_string()})\n")
    # access_log off: request lines can carry search words (names); errors are logged without data.
    if args.workers > 1:
        # Each worker builds its own app from the environment (an import string is required).
        engine.dispose()
        os.environ[ENV_DATABASE] = settings.database_url
        os.environ[ENV_DATA_DIR] = str(settings.data_dir)
        if settings.rules_root is not None:  # the workers' default rules root
            from classifier.rules import RULES_ENV

            os.environ[RULES_ENV] = str(settings.rules_root.resolve())
        uvicorn.run(
            "classifier.web.app:app_from_env",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            access_log=False,
            log_level="warning",
        )
    else:
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0
