"""The ``finspace-users`` command line: parse, run one subcommand, map failures to exit codes.

Exit codes (every subcommand): 0 done (``drift``: no drift), 1 error (the message on stderr, or
``{"error": {"kind", "message"}}`` on stdout with ``--json``), 2 drift found (``drift`` only).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from finspace_constructs.users_file import UsersFileError

from . import reads, web_app
from .errors import EXIT_ERROR, CheckoutNeededError, CommandError, stand_ins_missing
from .output import Output

__all__ = ["main"]

PROG = "finspace-users"
DEMO_STATE_DIR = Path(".local") / "demo"  # relative to the current directory
EPILOG = "Exit codes: 0 done (drift: none), 1 error, 2 drift found (drift only). README: \"finspace-users\"."
Command = Callable[[argparse.Namespace, Output], int]


def _demo(name: str) -> Command:
    """A command of :mod:`finspace_users.demo`, imported when run: it needs the repository's stand-ins."""
    def run(args: argparse.Namespace, out: Output) -> int:
        try:
            from . import demo
            from .local import StackStateError  # loaded with demo
        except ImportError as error:
            raise stand_ins_missing(error, f"{name} drives the repository's local stand-ins (against AWS: cdk deploy "
                                           "/ cdk diff)") from error
        command: Command = getattr(demo, name)
        try:
            return command(args, out)
        except StackStateError as error:  # CloudFormation's refusal of a stuck stack, with the way out
            raise CommandError(f"{error} (finspace-users destroy deletes the users stack)", "stack") from error
    return run


class _Parser(argparse.ArgumentParser):
    """Usage errors become a CommandError, so that ``--json`` gets them as JSON and exit code 1."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see {self.prog} --help)", "usage")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout (errors too)")


def _state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", type=Path, default=DEMO_STATE_DIR,
                        help="the demo's emulator state, stacks and cdk.out (default: .local/demo)")


def _users_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users-file", type=Path, default=Path("users.yaml"), help="default: users.yaml")


def _target(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("where FinSpace is (one of)")
    where.add_argument("--local", action="store_true", help="the demo's local emulator (its --state-dir)")
    where.add_argument("--environment-id", action="append", default=[], metavar="ID",
                       help="a FinSpace environment (repeatable); locally: default both demo environments")
    where.add_argument("--region", help="AWS region of the environment (default: your AWS configuration)")
    where.add_argument("--caller-role", metavar="ARN",
                       help="your IAM role's ARN, when STS cannot tell (it identifies your own FinSpace user)")
    _state_dir(parser)
    who = parser.add_argument_group("administrators (users made outside any users file)")
    who.add_argument("--include-administrators", action="store_true",
                     help="include the users whose principal is your role or the provider's role, and the "
                          "excluded emails (default: left out)")
    who.add_argument("--exclude-email", action="append", default=[], metavar="EMAIL",
                     help="leave this user out too, e.g. the environment's first superuser (repeatable)")


def _import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, type=Path,
                        help="the users file to write (with --split: a directory, one ENV.yaml per environment)")
    parser.add_argument("--split", action="store_true", help="one file per environment")
    parser.add_argument("--type", action="append", choices=("SUPER_USER", "APP_USER"), help="only this type")
    parser.add_argument("--status", action="append", choices=("ENABLED", "DISABLED"), help="only this status")
    parser.add_argument("--group", action="append", metavar="NAME", help="only members of this group (repeatable)")
    provider = parser.add_argument_group("the provider's own user (left out; the file names it in provider_user)")
    provider.add_argument("--provider-role-arn", metavar="ARN",
                          help="the provider role's ARN (default: any role named FinSpaceUserProvider-<region>)")
    provider.add_argument("--include-provider", action="store_true",
                          help="declare the provider's own user as it is, instead of naming it in provider_user")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, epilog=EPILOG, description="FinSpace users as code: import an environment into a "
                     "users file, report drift, list users (real FinSpace or --local); deploy, diff and destroy "
                     "on the local stand-ins. Every command takes --help and --json.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    specs: list[tuple[str, str, Command, tuple[Callable[[argparse.ArgumentParser], None], ...]]] = [
        ("deploy", "deploy a users file to the local emulator (provider stack, registration, users stack)",
         _demo("deploy"), (_users_file, _state_dir)),
        ("diff", "what the next local deploy will do, call by call, without deploying", _demo("diff"),
         (_users_file, _state_dir)),
        ("destroy", "delete the local users stack (its users are disabled; the provider stays)", _demo("destroy"),
         (_state_dir,)),
        ("users", "list the users of FinSpace (or --local)", reads.list_users, (_target,)),
        ("import", "write a users file from what FinSpace holds, adopting it unchanged", reads.import_users,
         (_target, _import_options)),
        ("drift", "compare a users file with FinSpace; exit 2 when they differ", reads.drift, (_users_file, _target)),
    ]
    for name, summary, command, options in specs:
        sub = commands.add_parser(name, help=summary, description=summary, epilog=EPILOG)
        for add in (*options, _common):
            add(sub)
        sub.set_defaults(run=command)
    deploy = commands.choices["deploy"]
    deploy.add_argument("--skip-registration", action="store_true",
                        help="leave the provider's role unregistered (the users deploy then fails, as on AWS)")
    deploy.add_argument("--provider-only", action="store_true",
                        help="only steps 1 and 2: the provider stack and its registration")
    drift = commands.choices["drift"]
    drift.add_argument("--ignore-unmanaged", action="store_true", help="users and groups the file lacks are no drift")
    drift.add_argument("--redact", action="store_true", help="name users by userId, not email (for kept logs)")
    _local_verbs(commands)
    return parser


def _local_verbs(commands: argparse._SubParsersAction[_Parser]) -> None:
    """``local VERB``: a change by hand in the demo's emulator, to provoke drift (README: Drift)."""
    summary = ("change the demo's emulator by hand, as a person in the FinSpace web application would, to see "
               "what drift --local reports")
    local = commands.add_parser("local", help=summary, description=summary, epilog=EPILOG)
    verbs = local.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=_Parser)
    for verb, what in web_app.VERBS.items():
        sub = verbs.add_parser(verb, help=what, description=what, epilog=EPILOG)
        sub.add_argument("email", metavar="EMAIL", help="the user (its email; any case)")
        if verb == "set-field":
            sub.add_argument("field", metavar="FIELD", choices=sorted(web_app.FIELDS),
                             help="type, firstName, lastName, apiAccess or apiAccessPrincipalArn "
                                  "(or the users file's first_name, ...)")
            sub.add_argument("value", metavar="VALUE")
        elif verb.endswith("-membership"):
            sub.add_argument("group", metavar="GROUP", help="the permission group's name")
        sub.add_argument("--environment-id", metavar="ID",
                         help="the demo environment (default: the one that has this email)")
        _state_dir(sub)
        _common(sub)
        sub.set_defaults(run=web_app.local_verb)


def _check(args: argparse.Namespace) -> None:
    if getattr(args, "local", False) and (args.region or args.caller_role):
        raise CommandError("--local reads the demo's emulator: drop --region and --caller-role", "usage")


def main(argv: list[str] | None = None, out: Output | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = out or Output("--json" in argv)
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as done:  # --help
            return int(done.code or 0)
        _check(args)
        command: Command = args.run
        return command(args, out)
    except CheckoutNeededError as error:
        out.error(error.kind, _in_the_checkout(str(error), argv))
    except CommandError as error:
        out.error(error.kind, str(error))
    except UsersFileError as error:
        out.error("users-file", str(error))
    except subprocess.CalledProcessError as error:
        out.error("synth", (error.stderr or b"").decode(errors="replace").strip() or str(error))
    except (RuntimeError, FileNotFoundError) as error:  # an old emulator state, the CDK CLI missing
        out.error("setup", str(error))
    return EXIT_ERROR


def _in_the_checkout(what: str, argv: list[str]) -> str:
    """The exact command that works: this one, run by the checkout's venv from the checkout, where
    ``python -m`` finds the stand-ins (README: "finspace-users")."""
    where = "from this checkout" if Path("finspace_local").is_dir() else "in the repository checkout"
    return (f"{what}; this finspace-users cannot import the stand-ins (finspace_local: in the repository "
            f"checkout, not in the package). {where[0].upper()}{where[1:]}, with its venv, run: "
            f".venv/bin/python -m finspace_users {shlex.join(argv)}")
