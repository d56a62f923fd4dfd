"""``python3 manage.py pack``: the meeting pack of a workspace from the command line.

    python3 manage.py pack --workspace NAME --lang nb|sv|en [--anonymise] [--format pptx|pdf] --out FILE

The workspace is opened under the app's rules (``kamcore.access``): it must exist in
``KAMSTUDIO_WORKSPACES`` and, with login on (``KAMSTUDIO_AUTH``), ``--user`` must be allowed to
open it. ``--workspace demo`` builds the bundled demo first when it is missing, as ``start`` does.
The format follows ``--format``, else the extension of ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kamcore import access, db
from kamcore.demo import DEMO_NAME, build_demo_workspace
from kamcore.errors import KamError
from kamcore.meeting_pack.sections import SECTIONS
from kamcore.settings import load_settings

LANGUAGES = ("nb", "sv", "en")
FORMATS = ("pptx", "pdf")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="manage.py pack", description="Build the meeting pack of a workspace.")
    p.add_argument("--workspace", required=True, help="workspace name (as in the app)")
    p.add_argument("--lang", required=True, choices=LANGUAGES, help="language of the pack")
    p.add_argument("--anonymise", action="store_true", help="replace names and numbers with pseudonyms")
    p.add_argument("--format", choices=FORMATS, help="pptx or pdf (default: from the --out extension)")
    p.add_argument("--out", required=True, help="file to write")
    p.add_argument("--user", help="login name whose access applies (required when login is on)")
    p.add_argument("--sections", help="comma-separated sections (default: all): " + ",".join(SECTIONS))
    return p


def fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = Path(args.out)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        return fail(f"cannot tell the format from '{out.name}': give --format pptx or --format pdf.", 2)
    sections = tuple(s.strip() for s in args.sections.split(",")) if args.sections else SECTIONS
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        return fail(f"unknown section '{unknown[0]}'; choose from {', '.join(SECTIONS)}.", 2)
    if not out.parent.exists():
        return fail(f"the folder '{out.parent}' does not exist.", 2)

    cfg = load_settings()
    root = cfg.workspaces_root
    user = args.user
    if cfg.login_required and not user:
        return fail("login is on (KAMSTUDIO_AUTH): name the user whose access applies with --user.", 2)
    principal = user if cfg.login_required else None
    name = args.workspace
    if name == DEMO_NAME:
        path = db.workspace_path(root, DEMO_NAME)
        if not path.exists():
            print(f"building the demo workspace in {root}", file=sys.stderr)
            path.parent.mkdir(parents=True, exist_ok=True)
            build_demo_workspace(path, cfg.demo_data_dir, cfg.db)
    if not access.may_open(root, principal, name):
        # the app's sentence: the same whether the workspace is missing or someone else's
        visible = access.visible_workspaces(principal, db.list_workspaces(root),
                                            access.read_rules(root, [i.name for i in db.list_workspaces(root)]))
        names = ", ".join(info.name for info in visible) or "none"
        return fail(f"You do not have access to the workspace '{name}' (in {root}). "
                    f"Workspaces you can open: {names}.")

    from kamcore.meeting_pack import content  # after the checks: the analyses' libraries load slowly
    from ui import pack_render

    started = time.perf_counter()
    warm = pack_render.warm_up()
    pseudonymiser = None
    ws = db.Workspace.open(db.workspace_path(root, name), cfg.db, create=False)
    try:
        if args.anonymise:
            try:
                from kamcore import anonymise
            except ImportError:
                return fail("anonymised mode is not available in this version (kamcore.anonymise is missing).")
            pseudonymiser = anonymise.for_workspace(ws, args.lang)
        inputs = content.load_inputs(ws, name)
        if pseudonymiser is not None:  # the workspace is usually named after the client
            inputs.name = content.Msg("pack.anonymised_workspace")
        pack = content.build(inputs, sections, shortlist_limit=cfg.shortlist_limit)
        warm.join()
        files = pack_render.render(pack, args.lang, (fmt,), pseudonymiser=pseudonymiser)
    except KamError as exc:
        return fail(str(exc))
    finally:
        ws.close()
    out.write_bytes(files[fmt])
    print(f"wrote {out} ({len(pack.slides)} slides, {fmt}, {args.lang}) in "
          f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
