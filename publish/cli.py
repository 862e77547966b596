"""`curate` subcommands for published datasets: versions, verify, diff, takedown and push.

DATASET is a dataset directory, for example `published/demo-corpus`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    versions = commands.add_parser("versions", help="list the published versions of a dataset")
    versions.add_argument("dataset", type=Path)
    versions.set_defaults(handler=versions_command)

    verify = commands.add_parser("verify", help="recheck every sha256 in a version's manifest")
    verify.add_argument("dataset", type=Path)
    verify.add_argument("version", nargs="?", help="default: every published version")
    verify.set_defaults(handler=verify_command)

    diff = commands.add_parser("diff", help="rows, schema and filter counts between versions")
    diff.add_argument("dataset", type=Path)
    diff.add_argument("old")
    diff.add_argument("new")
    diff.set_defaults(handler=diff_command)

    takedown = commands.add_parser(
        "takedown", help="record a takedown request (later versions exclude matching rows)"
    )
    takedown.add_argument("dataset", type=Path)
    what = takedown.add_mutually_exclusive_group(required=True)
    what.add_argument("--id", help="a row id")
    what.add_argument("--contains", metavar="TEXT", help="a phrase, matched as whole words")
    what.add_argument("--email", metavar="ADDRESS", help="an e-mail address anywhere in a row")
    what.add_argument("--list", action="store_true", help="show the recorded requests")
    takedown.add_argument("--reason", default="", help="why (must not repeat the value)")
    takedown.set_defaults(handler=takedown_command)

    push = commands.add_parser("push", help="upload a version to the Hugging Face Hub")
    push.add_argument("dataset", type=Path)
    push.add_argument("version")
    push.add_argument("--repo", required=True, metavar="ORG/NAME")
    push.add_argument("--token", help="default: HF_TOKEN or the saved login")
    push.set_defaults(handler=push_command)


def versions_command(args: argparse.Namespace) -> int:
    from publish.store import latest_version, list_versions, read_manifest

    names = list_versions(args.dataset)
    if not names:
        print(f"{args.dataset}: no published versions")
        return 0
    latest = latest_version(args.dataset)
    print(f"{'version':<10} {'created':<26} {'rows':>10}  {'parent':<10} latest")
    for name in names:
        manifest = read_manifest(args.dataset / name)
        rows = sum(manifest.get("rows", {}).values())
        marker = "*" if name == latest else ""
        created = manifest.get("created", "")
        parent = manifest.get("parent") or "-"
        print(f"{name:<10} {created:<26} {rows:>10}  {parent:<10} {marker}")
    return 0


def verify_command(args: argparse.Namespace) -> int:
    from publish.store import list_versions, resolve_version, verify_version

    names = [args.version] if args.version else list_versions(args.dataset)
    if not names:
        raise FileNotFoundError(f"{args.dataset}: no published versions")
    failed = False
    for name in names:
        version_dir = resolve_version(args.dataset, name)
        problems = verify_version(version_dir)
        for problem in problems:
            print(f"{version_dir.name}: {problem}", file=sys.stderr)
        print(f"{version_dir.name}: {'FAILED' if problems else 'ok'}")
        failed = failed or bool(problems)
    return 1 if failed else 0


def diff_command(args: argparse.Namespace) -> int:
    from publish.release import diff_versions, render_diff

    print(render_diff(diff_versions(args.dataset, args.old, args.new)), end="")
    return 0


def takedown_command(args: argparse.Namespace) -> int:
    from publish.takedown import list_takedowns, record_takedown

    if not args.dataset.is_dir():
        raise FileNotFoundError(f"{args.dataset}: no such dataset directory")
    if args.list:
        requests = list_takedowns(args.dataset)
        for r in requests:
            print(f"{r['request']}  {r['created']}  {r['kind']:<8}  {r['reason']}")
        print(f"{len(requests)} request(s)")
        return 0
    kind, value = next((k, v) for k in ("id", "contains", "email") if (v := getattr(args, k)))
    entry = record_takedown(args.dataset, kind, value, args.reason)
    print(
        f"recorded {entry['request']} ({kind}); the next published version excludes matching rows"
    )
    return 0


def push_command(args: argparse.Namespace) -> int:
    from publish.hub import HubPushError, push_version
    from publish.store import resolve_version

    try:
        url = push_version(resolve_version(args.dataset, args.version), args.repo, args.token)
    except HubPushError as err:
        print(f"curate: push: {err}", file=sys.stderr)
        return 2
    print(f"pushed {args.version} to {args.repo}: {url}")
    return 0
