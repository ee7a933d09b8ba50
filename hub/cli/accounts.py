"""``gatewarden hub token create`` and ``gatewarden hub user add|list``: API tokens and accounts.

They open the hub database themselves (the hub may be running: each change is one short
``BEGIN IMMEDIATE`` transaction that waits for the hub's writer) and record the change in the
audit log as done by ``cli``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from gwcommon import catalogue
from gwcommon.lang import choose
from hub.cli.saying import say

from hub.cli.common import add_config_argument, config_path

ROLES = ("viewer", "warden", "committee", "admin")


def register(hub_subparsers) -> None:
    token = hub_subparsers.add_parser("token", help="API tokens for the JSON API",
                                      description="Create API tokens for the JSON API (Authorization: Bearer).")
    token_cmds = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_cmds.add_parser("create", help="create a token and print it (shown this once only)",
                                   description="Create an API token with a role and print it; only its hash is kept.")
    create.add_argument("--role", required=True, choices=ROLES, help="what the token may do")
    create.add_argument("--name", default="", help="a note saying who or what uses the token")
    add_config_argument(create)
    create.set_defaults(func=run_token_create)

    user = hub_subparsers.add_parser("user", help="web view accounts",
                                     description="Add or list the web view's accounts (the first admin comes from here).")
    user_cmds = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_cmds.add_parser("add", help="add an account (or reset one with --replace)",
                               description="Add a web view account. The password is asked twice on a terminal, "
                                           "or read from --password-file, or from the first line of standard input.")
    add.add_argument("name", help="user name (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, choices=ROLES, help="the account's role")
    add.add_argument("--display-name", default="", help="name shown in the web view")
    add.add_argument("--password-file", type=Path, help="file whose first line is the password")
    add.add_argument("--replace", action="store_true", help="reset an existing account's password and role")
    add_config_argument(add)
    add.set_defaults(func=run_user_add)
    lst = user_cmds.add_parser("list", help="list the accounts", description="List the web view's accounts.")
    add_config_argument(lst)
    lst.set_defaults(func=run_user_list)


def _open(args: argparse.Namespace):
    from hub.cli.common import open_for_command

    return open_for_command(config_path(args))


def run_token_create(args: argparse.Namespace) -> int:
    from gwcommon.clock import SystemClock
    from hub.web import audit
    from hub.cli.common import run_for_command
    from hub.web.auth import create_token_job

    now = SystemClock().now()
    token, store = create_token_job(args.role, args.name, now)
    def job(db):
        token_id = store(db)
        audit.record(db, now, "cli", "token_create", target=str(token_id), detail={"role": args.role, "name": args.name})

    run_for_command(config_path(args), job)
    print(token)
    return 0


def lang_now() -> str:
    return choose(environ=os.environ)


def _password(args: argparse.Namespace) -> str:
    from hub.web.auth import AccountError

    if args.password_file is not None:
        try:
            return args.password_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as exc:
            raise AccountError.said("acc.err.password_file", file=args.password_file,
                                    error=getattr(exc, "strerror", None) or catalogue.t("acc.err.empty_file", lang_now())) from None
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(say("user.password"))
    if getpass.getpass(say("user.again")) != first:
        raise AccountError.said("acc.err.differ")
    return first


def run_user_add(args: argparse.Namespace) -> int:
    from gwcommon.clock import SystemClock
    from hub.web import audit
    from hub.cli.common import run_for_command
    from hub.web.auth import add_user_job

    now = SystemClock().now()
    add = add_user_job(args.name, _password(args), args.role, now, display_name=args.display_name,
                       replace=args.replace)
    def job(db):
        add(db)
        audit.record(db, now, "cli", "user_add", target=args.name, detail={"role": args.role, "replace": args.replace})

    run_for_command(config_path(args), job)
    from hub.core import glossary

    lang = lang_now()
    print(say("user.done_reset" if args.replace else "user.done_added", lang, role=glossary.role(args.role, lang),
              name=args.name))
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    from hub.web.auth import list_users

    db = _open(args)
    try:
        for user in list_users(db):
            state = "" if user["active"] else "  " + say("user.disabled")
            print(f"{user['name']}\t{user['role']}\t{user['display_name']}{state}")
    finally:
        db.conn.close()
    return 0
