"""`teletriage worklist ...`: list the triaged queue, claim, release, complete and cancel items.

The database defaults to ``$TELETRIAGE_DB`` or ``sqlite:///teletriage-store/worklist.db`` (where
``teletriage run`` writes by default).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from .errors import WorklistError
from .items import WorklistItem
from .priority import Specialty
from .queue import Worklist
from .settings import WorklistSettings

__all__ = ["cli", "DEFAULT_DB", "format_table"]

DEFAULT_DB = "sqlite:///teletriage-store/worklist.db"


def _db_url(ctx: click.Context, db: str | None) -> str:
    return db or (ctx.obj or {}).get("db") or os.environ.get("TELETRIAGE_DB") or DEFAULT_DB


def _open(url: str) -> Worklist:
    try:
        return Worklist.open(url, settings=WorklistSettings())
    except WorklistError as exc:
        raise click.ClickException(str(exc)) from exc


def _clip(text: str, width: int) -> str:
    """Keep the end of long identifiers (``issuer|id``: the id is the part people read)."""
    return text if len(text) <= width else "…" + text[-(width - 1):]


def format_table(items: list[WorklistItem]) -> str:
    """A readable table of ``items`` (queue order), one line per item plus its first reason."""
    if not items:
        return "(worklist empty)"
    head = f"{'ID':>5}  {'PRIORITY':<9} {'SPECIALTY':<11} {'STATE':<11} {'DUE (UTC)':<16} {'PATIENT':<22} {'CLINIC':<12} REASONS"
    lines = [head, "-" * len(head)]
    for it in items:
        prio = it.priority.upper() + ("!" if it.overdue else "")
        reasons = "; ".join(it.reasons) if it.reasons else "-"
        if len(reasons) > 90:
            reasons = reasons[:87] + "..."
        lines.append(
            f"{it.id:>5}  {prio:<9} {it.specialty:<11} {it.state:<11} {it.due_at:%Y-%m-%d %H:%M} "
            f"{_clip(it.patient or '-', 22):<22} {_clip(it.clinic or '-', 12):<12} {reasons}"
        )
    lines.append("(! = overdue, ranked one level more urgent)")
    return "\n".join(lines)


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except WorklistError as exc:
        raise click.ClickException(str(exc)) from exc


db_option = click.option("--db", "db", default=None, help=f"Database URL (default $TELETRIAGE_DB or {DEFAULT_DB}).")


@click.group(name="worklist", invoke_without_command=True)
@db_option
@click.option(
    "--specialty",
    type=click.Choice([s.value for s in Specialty]),
    multiple=True,
    help="Only this reading room (repeatable).",
)
@click.option("--all", "show_all", is_flag=True, help="Include completed and canceled items.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of items in queue order.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, specialty: tuple[str, ...], show_all: bool, as_json: bool) -> None:
    """The triaged worklist: most urgent first (priority, then due time; overdue items escalate)."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is not None:
        return
    wl = _open(_db_url(ctx, db))
    states = ("scheduled", "in_progress", "completed", "canceled") if show_all else ("scheduled", "in_progress")
    items = _run(lambda: wl.queue(specialty=list(specialty) or None, states=states))
    if as_json:
        click.echo(json.dumps([it.to_dict() for it in items], indent=2))
    else:
        click.echo(format_table(items))


def _echo_item(item: WorklistItem, as_json: bool, verb: str) -> None:
    if as_json:
        click.echo(json.dumps(item.to_dict(), indent=2))
    else:
        click.echo(f"item {item.id} {verb}: {item.state} ({item.priority}, {item.specialty}, patient {item.patient or '-'})")


@cli.command()
@click.argument("item_id", type=int)
@click.option("--reader", required=True, help="Who claims it.")
@db_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def claim(ctx: click.Context, item_id: int, reader: str, db: str | None, as_json: bool) -> None:
    """Claim ITEM_ID for reading (scheduled → in progress); fails if another reader holds it."""
    wl = _open(_db_url(ctx, db))
    _echo_item(_run(lambda: wl.claim(item_id, reader)), as_json, "claimed")


@cli.command()
@click.argument("item_id", type=int)
@click.option("--reader", default=None, help="Only if claimed by this reader.")
@db_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def release(ctx: click.Context, item_id: int, reader: str | None, db: str | None, as_json: bool) -> None:
    """Give a claimed item back to the queue."""
    wl = _open(_db_url(ctx, db))
    _echo_item(_run(lambda: wl.release(item_id, reader=reader)), as_json, "released")


@cli.command()
@click.argument("item_id", type=int)
@click.option("--report", required=True, help="The reader's report.")
@click.option("--reader", default=None, help="Only if claimed by this reader.")
@db_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def complete(ctx: click.Context, item_id: int, report: str, reader: str | None, db: str | None, as_json: bool) -> None:
    """Complete a claimed item with a report (in progress → completed)."""
    wl = _open(_db_url(ctx, db))
    _echo_item(_run(lambda: wl.complete(item_id, report=report, reader=reader)), as_json, "completed")


@cli.command()
@click.argument("item_id", type=int)
@click.option("--reason", default="", help="Why.")
@db_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def cancel(ctx: click.Context, item_id: int, reason: str, db: str | None, as_json: bool) -> None:
    """Cancel an item (scheduled or in progress → canceled; final)."""
    wl = _open(_db_url(ctx, db))
    _echo_item(_run(lambda: wl.cancel(item_id, reason=reason)), as_json, "canceled")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
