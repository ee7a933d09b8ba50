"""``gatewarden charging record`` and ``gatewarden charging replay``: check the charger count on a
compound's own chargers (format and truth lines: :mod:`edge.charging.recording`, docs/charging.md)."""

from __future__ import annotations

import argparse
import os
import sys

from gwcommon import catalogue
from gwcommon.lang import choose

WORDS = {
    "recording": ("正在录制 {n} 条线路（{circuits}）的读数到 {out}，每 {every:g} 秒一次；按 Ctrl-C 结束。",
                  "Recording {n} circuit(s) ({circuits}) to {out}, every {every:g} s; Ctrl-C ends it."),
    "recorded": ("已录制 {lines} 行。", "Recorded {lines} line(s)."),
    "no_charging": ("配置里没有 [charging] 或 [[meters]]：这不是充电棚设备的配置。",
                    "The config has no [charging] section or no [[meters]]: not a charging device's config."),
    "replay": ("回放 {file}：{n} 条线路，{readings} 个读数，{start} 至 {end}",
               "Replay of {file}: {n} circuit(s), {readings} readings, {start} to {end}"),
    "bad": ("有 {n} 行看不懂，已跳过（前几行：{lines}）", "{n} line(s) could not be read and were skipped (first: {lines})"),
    "circuit": ("线路 {c}：", "Circuit {c}:"),
    "no_truth": ("  没有给真值（--truth）：计数变化如下", "  No truth given (--truth): the count changed at"),
    "change": ("  {t}  在充 {n}", "  {t}  charging {n}"),
    "more": ("  ……另有 {n} 次变化", "  … and {n} more change(s)"),
    "head": ("  时间             实际  计数（到下一行为止最常显示的）", "  time            truth count (shown most until the next line)"),
    "row": ("  {t}  {truth:>4}  {count:>4}  {mark}", "  {t}  {truth:>5} {count:>5}  {mark}"),
    "none": ("无读数", "no reading"),
    "total": ("  逐个读数对照（真值覆盖的 {n} 个读数，每行后 30 秒不计）：完全一致 {exact}，相差不超过 1 个 {within}",
              "  Reading by reading ({n} readings the truth covers, 30 s after each line left out): "
              "exact {exact}, within ±1 {within}"),
    "no_samples": ("  真值覆盖的时间里没有读数。", "  No readings in the time the truth covers."),
}
CHANGES_SHOWN = 40


catalogue.contribute("charging-cli", WORDS, prefix="chgcli.")


def say(lang: str, key: str, **values) -> str:
    return catalogue.t("chgcli." + key, lang, **values)


def _lang(args: argparse.Namespace) -> str:
    """``--lang``, else the one policy (GATEWARDEN_LANG, else Chinese)."""
    return choose(flag=args.lang, environ=os.environ)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "charging", help="record a shed's meter readings, replay them through the charger counter",
        description="Check the charger count on your own chargers: record the meters' readings, write down "
                    "what you counted walking round, replay and compare.")
    sub = parser.add_subparsers(dest="charging_command", metavar="ACTION", required=True)
    rec = sub.add_parser("record", help="record the meters' readings to a JSONL file",
                         description="Read every meter the charging device's config lists, at its poll_interval, "
                                     "and write one JSON line per reading to OUT until Ctrl-C or --duration. "
                                     "Stop the charging device first when its meters are on a serial bus.")
    rec.add_argument("--config", required=True, metavar="FILE", help="the charging device's TOML config file")
    rec.add_argument("out", metavar="OUT", help="the recording to write (JSON lines)")
    rec.add_argument("--duration", metavar="SECONDS", type=float, default=None,
                     help="stop after this many seconds (default: until Ctrl-C)")
    rec.add_argument("--lang", choices=("zh", "en"), default=None,
                     help="language of the messages: zh (default) or en; else GATEWARDEN_LANG")
    rec.set_defaults(func=run_record)
    rep = sub.add_parser("replay", help="run the counter over a recording and compare with truth lines",
                         description="Run the charger counter over a recording as the device would, and report "
                                     "the count; with --truth, compare it with hand-written lines like "
                                     "'21:30:00 chargers=3' (see docs/charging.md).")
    rep.add_argument("file", metavar="FILE", help="a recording made by 'gatewarden charging record'")
    rep.add_argument("--truth", metavar="TRUTHFILE", help="what was counted walking round, one line per change")
    rep.add_argument("--lang", choices=("zh", "en"), default=None,
                     help="language of the report: zh (default) or en; else GATEWARDEN_LANG")
    rep.set_defaults(func=run_replay)


def run_record(args: argparse.Namespace) -> int:
    import threading

    from edge.charging.device import build_sources
    from edge.config import load_edge_config
    from gwcommon.clock import SystemClock
    from gwcommon.exc import ConfigError

    from .recording import record

    args.lang = _lang(args)
    config = load_edge_config(args.config)
    if config.charging is None or not config.meters:
        raise ConfigError.said("chgcli.no_charging")
    clock = SystemClock()
    sources = build_sources(config.charging, config.meters, mqtt=config.mqtt, clock=clock,
                            device_id=f"{config.device.id}-rec")
    stop = threading.Event()
    if args.duration:
        threading.Timer(args.duration, stop.set).start()
    circuits = [m.circuit for m in config.meters]
    print(say(args.lang, "recording", n=len(circuits), circuits=", ".join(circuits), out=args.out,
              every=config.charging.poll_interval.total_seconds()), file=sys.stderr)
    lines = 0
    try:
        with open(args.out, "w", encoding="utf-8") as out:
            lines = record(config, out, sources=sources, clock=clock, stop=stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for source in sources:
            source.close()
    print(say(args.lang, "recorded", lines=lines), file=sys.stderr)
    return 0


def run_replay(args: argparse.Namespace) -> int:
    from . import recording as r

    args.lang = _lang(args)
    rec = r.load(r.open_text(args.file))
    truths = r.parse_truth(r.open_text(args.truth), first_day=r.first_day(rec), tz=rec.tz) if args.truth else []
    by_circuit = r.truth_for(rec, truths)
    print("\n".join(report(rec, by_circuit, file=args.file, lang=args.lang, with_truth=bool(args.truth))))
    return 0


def report(rec, by_circuit: dict, *, file: str, lang: str, with_truth: bool) -> list[str]:
    from . import recording as r

    tz = rec.tz
    stamps = [p.ts for polls in rec.polls.values() for p in polls]
    fmt = (lambda t: t.astimezone(tz).strftime("%m-%d %H:%M:%S"))
    out = [say(lang, "replay", file=file, n=len(rec.polls), readings=len(stamps),
               start=fmt(min(stamps)) if stamps else "-", end=fmt(max(stamps)) if stamps else "-")]
    if rec.bad:
        shown = ", ".join(f"{n}: {why}" for n, why in rec.bad[:3])
        out.append(say(lang, "bad", n=len(rec.bad), lines=shown))
    for circuit in sorted(rec.polls):
        counts = r.count(rec, circuit)
        out.append(say(lang, "circuit", c=circuit))
        if not with_truth or circuit not in by_circuit:
            out += _changes(counts, lang, fmt)
            continue
        result = r.score(counts, by_circuit[circuit], circuit)
        out.append(say(lang, "head"))
        for truth, got in result.checks:
            mark = "" if got is None else ("✓" if got == truth.chargers else f"{got - truth.chargers:+d}")
            out.append(say(lang, "row", t=fmt(truth.at), truth=truth.chargers,
                           count=say(lang, "none") if got is None else got, mark=mark))
        if result.samples:
            out.append(say(lang, "total", n=result.samples, exact=_pct(result.exact, result.samples),
                           within=_pct(result.within1, result.samples)))
        else:
            out.append(say(lang, "no_samples"))
    return out


def _changes(counts, lang: str, fmt) -> list[str]:
    changes, last = [], None
    for ts, loads in counts:
        if loads != last:
            changes.append(say(lang, "change", t=fmt(ts), n=loads))
            last = loads
    lines = [say(lang, "no_truth")] + changes[:CHANGES_SHOWN]
    if len(changes) > CHANGES_SHOWN:
        lines.append(say(lang, "more", n=len(changes) - CHANGES_SHOWN))
    return lines


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %"

