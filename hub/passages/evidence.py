"""Why the gate opened, or why it could not tell (开闸依据), in the reader's words.

A gate lane sends, with each passage it decided itself, what it heard of the tags it judged (the
passage's ``evidence``, an extension of ours: docs/contract.md §1): each tag's level, how much it
rose before the loop armed, when it was first heard, how much stronger this lane's radio heard it
than the other lane's, and — for a tag not taken as the car's — why not (edge/gate/associate.py).
``ambiguous`` means a tag was near but the lane could not tell it was this car's, so it
did not open: the warden checks and opens by hand.  Here that becomes one line for the Passages
page and its export, a tag shown as its car's plate where the registry knows it.  Pure.
"""

from __future__ import annotations

from typing import Callable, Mapping

from gwcommon import catalogue

MESSAGES: dict[str, tuple[str, str]] = {
    "ev.opened": ("依据：{tags}", "Evidence: {tags}"),
    "ev.ambiguous": ("附近听到标签，但不能确定是这辆车的，道闸没有自动放行（请核实后人工放行）：{tags}",
                     "A tag was heard near, but the lane could not tell it was this car's, so it did not "
                     "open (check and open by hand): {tags}"),
    "ev.heard": ("附近听到的标签：{tags}", "Tags heard near: {tags}"),
    "ev.tag": ("{who}：信号 {rssi} dBm，{rise}，{when}{margin}", "{who}: {rssi} dBm, {rise}, {when}{margin}"),
    "ev.rise": ("上升 {db} dB", "rose {db} dB"),
    "ev.before": ("车到前 {s} 秒开始听到", "first heard {s} s before the car"),
    "ev.after": ("车到后 {s} 秒才听到", "first heard {s} s after the car"),
    "ev.margin": ("，本车道比另一车道强 {db} dB", ", {db} dB stronger at this lane"),
    "ev.margin_other": ("，另一车道比本车道强 {db} dB", ", {db} dB stronger at the other lane"),
    "ev.why": ("（{why}）", " ({why})"),
    "ev.join": ("；", "; "),
    "ev.why.weak": ("信号太弱", "too weak"),
    "ev.why.other_lane": ("另一车道也听得到，分不清是哪条车道的", "heard as well at the other lane"),
    "ev.why.elsewhere": ("这次刚在另一车道附近", "near the other lane earlier in this visit"),
    "ev.why.cooldown": ("刚为它开过闸", "the barrier just opened for it"),
    "ev.why.late": ("车到后才听到", "first heard after the car"),
    "ev.why.leaving": ("正在远离", "moving away"),
    "ev.why.parked": ("停在闸口附近的车", "a car parked near the gate"),
    "ev.why.not_arriving": ("没有在靠近", "not coming closer"),
    "ev.why.consumed": ("上次开闸时已在附近", "already near at the last open"),
    "ev.why.weaker_than_usual": ("比它平时在本车道开闸时弱得多，像是后面、旁边或路过的车",
                                 "far weaker than at its earlier opens here: the car behind, beside or passing"),
    "ev.why.weaker_by": ("它平时在本车道开闸时约 {usual} dBm，这次最近时也只稳定在约 {near} dBm，像是后面、旁边或路过的车",
                         "about {usual} dBm at its earlier opens here, steady at about {near} dBm at its nearest this "
                         "time: the car behind, beside or passing"),
    "ev.detail.late_faint": ("车到后才够近，信号不够强", "near only after the car arrived, and faint"),
    "ev.by": ("{by}开闸", "opened by {by}"),
    "ev.by_note": ("{by}开闸，理由：{note}", "opened by {by}: {note}"),
    "ev.by.booth": ("岗亭按钮", "the booth button"),
    "ev.by.homeassistant": ("Home Assistant", "Home Assistant"),
}
catalogue.contribute("passages", MESSAGES)


# Reasons the gate and the Home Assistant button send with their opens: ``by`` already says them.
MACHINE_NOTES = frozenset({"booth button", "Home Assistant button"})


def describe(evidence: Mapping | None, lang: str, name: Callable[[str], str], *, heard_only: bool = False) -> str:
    """One line for a passage's ``evidence`` ('' for none); ``name(tag)`` is how a tag is shown
    (its car's plate, or its short form).  ``heard_only``: the barrier opened on something else
    (fire mode, a plate camera, a person), so the evidence is only what the lane heard."""
    if not evidence or not evidence.get("tags"):
        return ""
    lines = [_tag_line(t, lang, name) for t in evidence["tags"]]
    detail = evidence.get("detail")
    if detail:
        lines[-1] += _t("ev.why", lang, why=_t(f"ev.detail.{detail}", lang, default=detail))
    tags = _t("ev.join", lang).join(lines)
    if heard_only:
        return _t("ev.heard", lang, tags=tags)
    return _t("ev.ambiguous" if evidence.get("ambiguous") else "ev.opened", lang, tags=tags)


def explain(row: Mapping, lang: str, name: Callable[[str], str]) -> str:
    """A passage's explanation: who opened by hand and why, or the lane's evidence ('' for none)."""
    if row.get("by"):
        who = _t(f"ev.by.{row['by']}", lang, default=row["by"])  # booth, homeassistant; else a person
        note = (row.get("note") or "").strip()
        note = "" if note in MACHINE_NOTES else note
        return _t("ev.by_note", lang, by=who, note=note) if note else _t("ev.by", lang, by=who)
    evidence = row.get("evidence") or {}
    on_its_tag = (row.get("reason") in ("allowlisted", "passback") and not evidence.get("ambiguous")
                  and bool(evidence.get("tags")) and evidence["tags"][0]["tag"] == row.get("tag"))
    return describe(evidence, lang, name, heard_only=row.get("decision") == "open" and not on_its_tag)


def _tag_line(tag: Mapping, lang: str, name: Callable[[str], str]) -> str:
    before = round(float(tag.get("before_s") or 0.0), 1)
    when = (_t("ev.before", lang, s=f"{before:.0f}" if before >= 10 else f"{before:.1f}") if before >= 0
            else _t("ev.after", lang, s=f"{-before:.1f}"))
    margin = tag.get("lane_margin_db")
    margin = ("" if margin is None else _t("ev.margin", lang, db=f"{margin:+d}") if margin >= 0
              else _t("ev.margin_other", lang, db=f"{-margin:+d}"))
    line = _t("ev.tag", lang, who=name(tag["tag"]), rssi=tag["rssi"], rise=_t("ev.rise", lang, db=f"{tag['rise_db']:+d}"),
              when=when, margin=margin)
    why, usual, near = tag.get("why_not"), tag.get("usual_rssi"), tag.get("near_rssi")
    if why == "weaker_than_usual" and usual is not None and near is not None:
        line += _t("ev.why", lang, why=_t("ev.why.weaker_by", lang, usual=usual, near=near))
    elif why:
        code = "elsewhere" if why == "other_lane" and tag.get("elsewhere") else why
        line += _t("ev.why", lang, why=_t(f"ev.why.{code}", lang, default=code))
    return line


def _t(key: str, lang: str, *, default: str | None = None, **values: object) -> str:
    if default is not None and not catalogue.has(key):
        return default
    return catalogue.t(key, lang, **values)
