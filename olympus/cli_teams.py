"""`python -m olympus spaces ...` and `connections grant`: provisioning spaces, members and grants
from the command line. The same core checks as the app apply to a `--user`."""

from __future__ import annotations

import argparse
import json


def add_parsers(commands, connections_sub) -> None:
    """Register `spaces` (a top-level command) and `connections grant`."""
    spaces = commands.add_parser("spaces", help="spaces (teams), their members and roles")
    sub = spaces.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="every space").add_argument("--json", action="store_true")
    create = sub.add_parser("create", help="a new space")
    create.add_argument("name")
    rename = sub.add_parser("rename", help="rename a space")
    rename.add_argument("space")
    rename.add_argument("name")
    members = sub.add_parser("members", help="list, add (or change the role of) or remove members",
                             formatter_class=argparse.RawDescriptionHelpFormatter,
                             epilog="spaces members SPACE\nspaces members SPACE add EMAIL --role R"
                                    "\nspaces members SPACE remove EMAIL")
    members.add_argument("space")
    members.add_argument("change", nargs="*", metavar="add|remove EMAIL")
    members.add_argument("--role", default="editor", help="viewer, editor (default) or admin")
    grant = connections_sub.add_parser("grant", help="limit a connection to members or roles")
    grant.add_argument("name")
    grant.add_argument("--user", dest="users", action="append", default=[], metavar="EMAIL")
    grant.add_argument("--role", dest="roles", action="append", default=[], metavar="ROLE")
    grant.add_argument("--clear", action="store_true", help="every member may use it again")


def cmd_spaces(args, ws) -> int:
    if args.action == "list":
        rows = [{"id": i, "name": n, "members": len(ws.teams.members(i))}
                for i, n in ws.teams.spaces()]
        print(json.dumps(rows, indent=2) if args.json else
              "\n".join(f"{r['name']}  (id {r['id']}, {r['members']} members)" for r in rows)
              or "No spaces yet.")
        return 0
    ws.principal.require("members")
    if args.action == "create":
        print(ws.teams.create_space(args.name))
        ws.audit("space_create", status="ok", detail=args.name)
    elif args.action == "rename":
        ws.teams.rename_space(args.space, args.name)
        ws.audit("space_rename", status="ok", detail=f"{args.space} -> {args.name}")
    else:
        return _members(args, ws)
    return 0


def _members(args, ws) -> int:
    from olympus.errors import ConfigError

    space = ws.teams.space_id(args.space)
    if args.change:
        if len(args.change) != 2 or args.change[0] not in ("add", "remove"):
            raise ConfigError("Use: spaces members SPACE add EMAIL --role ROLE, or "
                              "spaces members SPACE remove EMAIL.")
        verb, email = args.change
        if verb == "add":
            ws.teams.set_member(space, email, args.role)
        elif not ws.teams.remove_member(space, email):
            raise ConfigError(f"{email} is not a member of {args.space}.")
        ws.audit("member_" + ("set" if verb == "add" else "remove"), status="ok",
                 detail=f"{email} in {space}" + (f" as {args.role}" if verb == "add" else ""))
    for email, role in ws.teams.members(space):
        print(f"{email}\t{role}")
    return 0


def cmd_grant(args, ws) -> int:
    found = ws.grant(args.name) if args.clear else ws.grant(args.name, users=args.users,
                                                             roles=args.roles)
    who = [*found["users"], *(f"role:{r}" for r in found["roles"])]
    print(", ".join(who) or "every member of the space")
    return 0
