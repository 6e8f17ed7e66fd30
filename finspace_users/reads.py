"""``users``, ``import`` and ``drift``: read-only commands, against real FinSpace or ``--local``.

They call list operations only (the local emulator's call log shows it: ``mutatingCallsMade`` in
their ``--json`` output). Personal data goes to stdout only when listing users or reporting drift,
which is what was asked for, and ``import`` writes it only into the file it was given.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from finspace_constructs.users_file import load_declaration

from .drift import Finding, corrections, find_drift
from .errors import EXIT_DRIFT, EXIT_OK, CommandError
from .finspace import FinSpace, local_finspace, real_finspace, role_key
from .importer import ImportFilter, environment_document, provider_recogniser, render, selected_users
from .output import Output, table
from .web_app import demo_environments, environment_ids

__all__ = ["drift", "import_users", "list_users"]


@contextlib.contextmanager
def _finspace(args: argparse.Namespace) -> Iterator[FinSpace]:
    excluded = frozenset(e.lower() for e in args.exclude_email)
    if args.local:
        with local_finspace(Path(args.state_dir), excluded) as finspace:
            yield finspace
    else:
        with real_finspace(args.region, args.caller_role, excluded) as finspace:
            yield finspace


def _environments(args: argparse.Namespace, declared: list[str] | None = None) -> list[str]:
    """--environment-id, else the users file's, else (--local) the demo's; locally only the demo's exist."""
    if args.environment_id:
        chosen, where, kind = sorted(set(args.environment_id)), "--environment-id", "usage"
    elif declared is not None:
        chosen, where, kind = sorted(set(declared)), str(args.users_file), "users-file"
    elif args.local:
        return sorted(environment_ids())
    else:
        raise CommandError("name the environment: --environment-id ID (repeatable), or --local for the demo", "usage")
    if args.local:
        demo_environments(chosen, where, kind)
    return chosen


def _made(finspace: FinSpace) -> dict[str, int]:
    """Locally, the mutating calls this command made (always none): the emulator's call log."""
    return {"mutatingCallsMade": len(finspace.emulator.mutating_calls())} if finspace.emulator else {}


def _filter(args: argparse.Namespace, finspace: FinSpace) -> ImportFilter:
    def chosen(name: str) -> frozenset[str]:
        return frozenset(getattr(args, name, None) or ())  # only import has the filters

    return ImportFilter(chosen("type"), chosen("status"), chosen("group"), args.include_administrators,
                        finspace.administrators.includes)


def list_users(args: argparse.Namespace, out: Output) -> int:
    rows: list[dict[str, Any]] = []
    with _finspace(args) as finspace:
        for environment_id in _environments(args):
            snapshot = finspace.read(environment_id)
            rows += [{"environmentId": environment_id, "userId": u.user_id, "emailAddress": u.email, "type": u.type,
                      "status": u.status, "firstName": u.first_name, "lastName": u.last_name,
                      "permissionGroups": list(snapshot.group_names_of(u.user_id))}
                     for u in selected_users(snapshot, _filter(args, finspace))]
        made = _made(finspace)
    out.emit({"users": rows, **made})
    out.show(table("FinSpace users", ("environment", "userId", "email", "type", "status", "groups"),
                   [(r["environmentId"], r["userId"], r["emailAddress"], r["type"], r["status"],
                     ", ".join(r["permissionGroups"])) for r in rows]))
    return EXIT_OK


def import_users(args: argparse.Namespace, out: Output) -> int:
    target = Path(args.output)
    if args.provider_role_arn and role_key(args.provider_role_arn) is None:
        raise CommandError(f"--provider-role-arn {args.provider_role_arn} is not an IAM role ARN", "usage")
    with _finspace(args) as finspace:
        chosen = replace(_filter(args, finspace), include_provider=args.include_provider,
                         is_provider=provider_recogniser(args.provider_role_arn))
        documents = [environment_document(finspace.read(e), chosen) for e in _environments(args)]
        made = _made(finspace)
    written = _write(target, documents, args.split)
    out.emit({"files": written, **made})
    for entry in written:
        left_out = ("; the provider's own user is left out, named in provider_user"
                    if entry["providerUserLeftOut"] else "")
        out.say(f"Wrote {entry['users']} user(s) and {entry['groups']} group(s) of {', '.join(entry['environments'])} "
                f"to {entry['path']}: every entry adopts what exists (adopt_existing: true){left_out}")
    return EXIT_OK


def _write(target: Path, documents: list[dict[str, Any]], split: bool) -> list[dict[str, Any]]:
    if not split:
        groups = [documents]
        paths = [target]
    else:
        target.mkdir(parents=True, exist_ok=True)
        groups = [[d] for d in documents]
        paths = [target / f"{d['id']}.yaml" for d in documents]
    written = []
    for path, chunk in zip(paths, groups, strict=True):
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(chunk), encoding="utf-8")
        written.append({"path": str(path), "environments": [d["id"] for d in chunk],
                        "users": sum(len(d["users"]) for d in chunk),
                        "groups": sum(len(d["permission_groups"]) for d in chunk),
                        "providerUserLeftOut": any("provider_user" in d for d in chunk)})
    return written


def drift(args: argparse.Namespace, out: Output) -> int:
    declaration = load_declaration(Path(args.users_file))
    declared = [u.environment_id for u in declaration.users] + [g.environment_id for g in declaration.groups]
    findings: list[Finding] = []
    with _finspace(args) as finspace:
        for environment_id in _environments(args, declared):
            users = [u for u in declaration.users if u.environment_id == environment_id]
            groups = [g for g in declaration.groups if g.environment_id == environment_id]
            findings += find_drift(finspace.read(environment_id), users, groups, finspace.administrators.includes,
                                   redact=args.redact)
        made = _made(finspace)
    if args.ignore_unmanaged:
        findings = [f for f in findings if not f.kind.startswith("unmanaged")]
    out.emit({"drift": [f.as_dict() for f in findings], "driftFound": bool(findings), **made})
    out.show(table("Drift (FinSpace against the users file)",
                   ("environment", "kind", "user or group", "field", "declared", "in FinSpace"),
                   [(f.environment_id, f.kind, f.subject, f.field, f.declared, f.actual) for f in findings]))
    if not findings:
        out.say("[green]No drift[/]: FinSpace holds what the file declares.")
    else:
        out.say(f"[red]{len(findings)} difference(s)[/]. To correct them:")
        for advice in corrections(findings):
            out.say(f"  - {advice}")
    return EXIT_DRIFT if findings else EXIT_OK
