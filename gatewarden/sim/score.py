"""How well the hub did on simulated nights: its decisions against the script's ground truth.

Pure (no I/O): the simulator reads the hub's database into the plain records below and these
functions compare them with :class:`~gatewarden.sim.night.Night` — what really happened.

* **Violations.**  The truth of a night is ``Night.violations``: the (plate, rule) pairs a perfect
  hub would find — the cars still on the night strip at the 08:00 deadline and the car that stood
  in the fire lane beyond its grace.  A recorded violation belongs to the night whose
  evening-to-morning span holds its deadline.  It is *found* while its state is ``open`` or
  ``resolved`` (confirmed or provisional), *retracted* when late data cleared it.  A **false
  accusation** is a confirmed (not provisional) found violation that is not in the truth; a
  provisional one that is not in the truth is *labelled* (暂定) and counted apart.
* **Gate decisions.**  Every scripted drive through a lane is matched with the passage the gate
  reported on that lane for that tag (``None``: no tag) within a short window: residents should
  be let through (``open``), outsiders turned away (``deny``).  Drives scripted while the gate
  device was down are *unseen*, not wrong.
* **Charging.**  Each charging report of a circuit is compared with the number of chargers
  really drawing power at that moment (the shed's simulated chargers: a full battery's charger
  draws a few watts and no longer counts), when that number had been steady for a settling time;
  reports of an idle circuit that say it is idle are left out (they would swamp the count).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

from .night import Drive, Night, Plug

FOUND_STATES = ("open", "resolved")
MATCH_BEFORE, MATCH_AFTER = timedelta(seconds=30), timedelta(seconds=90)
SETTLE = timedelta(minutes=3)  # a charging count is judged this long after the circuit last changed


@dataclass(frozen=True)
class Verdict:
    """One violation as the hub recorded it."""

    plate: str | None
    rule: str
    deadline: datetime
    state: str
    provisional: bool


@dataclass(frozen=True)
class Passage:
    """One passage event the gate reported."""

    ts: datetime
    lane: str
    tag: str | None
    decision: str
    passed: bool


@dataclass(frozen=True)
class ChargeReport:
    """One charging event: the circuit's estimated number of chargers drawing power."""

    ts: datetime
    circuit: str
    loads: int


@dataclass(frozen=True)
class Downtime:
    """A device that was not running (killed) from ``start`` to ``end`` (simulated time)."""

    device: str
    start: datetime
    end: datetime

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end


@dataclass
class NightScore:
    """The score of one night (or, from :func:`total`, of several)."""

    evening: str
    true_violations: int = 0
    found: int = 0
    true_found: int = 0
    confirmed: int = 0
    false_accusations: int = 0  # confirmed, and not in the truth
    labelled_false: int = 0  # provisional, and not in the truth
    provisional_left: int = 0  # found violations still provisional at the end
    missed: int = 0
    retracted: int = 0
    residents: int = 0
    residents_opened: int = 0
    outsiders: int = 0
    outsiders_denied: int = 0
    drives_unseen: int = 0
    passages_unmatched: int = 0
    charge_reports: int = 0
    charge_exact: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_found / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_found / self.true_violations if self.true_violations else 1.0

    @property
    def charge_accuracy(self) -> float | None:
        return self.charge_exact / self.charge_reports if self.charge_reports else None

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(precision=round(self.precision, 4), recall=round(self.recall, 4),
                    charge_accuracy=None if self.charge_accuracy is None else round(self.charge_accuracy, 4))
        return data


def score_violations(result: NightScore, night: Night, verdicts: Iterable[Verdict]) -> None:
    """Fill the violation counts of ``result`` from the verdicts whose deadline is in ``night``."""
    truth = set(night.violations)
    mine = [v for v in verdicts if night.start <= v.deadline <= night.end]
    found = [v for v in mine if v.state in FOUND_STATES]
    hits = {(v.plate, v.rule) for v in found if (v.plate, v.rule) in truth}
    result.true_violations = len(truth)
    result.found = len(found)
    result.true_found = sum(1 for v in found if (v.plate, v.rule) in truth)
    result.confirmed = sum(1 for v in found if not v.provisional)
    result.provisional_left = sum(1 for v in found if v.provisional)
    result.retracted = sum(1 for v in mine if v.state == "retracted")
    result.missed = len(truth - hits)
    for v in found:
        if (v.plate, v.rule) in truth:
            continue
        if v.provisional:
            result.labelled_false += 1
        else:
            result.false_accusations += 1
        result.details.append(f"{'labelled' if v.provisional else 'FALSE'} {v.rule} {v.plate} "
                              f"deadline {v.deadline.isoformat()}")
    result.details.extend(f"missed {rule} {plate}" for plate, rule in sorted(truth - hits))


def score_gate(result: NightScore, night: Night, passages: Iterable[Passage],
               downtimes: Iterable[Downtime] = ()) -> None:
    """Fill the gate counts: every scripted drive against the passages reported for it."""
    gate_down = [d for d in downtimes if d.device == "gate"]
    pool = sorted((p for p in passages if night.start - MATCH_BEFORE <= p.ts <= night.end + MATCH_AFTER),
                  key=lambda p: p.ts)
    used: set[int] = set()
    for drive in night.of(Drive):
        index = _match(drive, pool, used)
        if index is None:
            if any(d.covers(drive.at) for d in gate_down):
                result.drives_unseen += 1
            else:
                result.details.append(f"no passage for {drive.plate} at {drive.lane} {drive.at.isoformat()}")
            _count_drive(result, drive, None)
            continue
        used.add(index)
        _count_drive(result, drive, pool[index])
    result.passages_unmatched = len(pool) - len(used)


def _match(drive: Drive, pool: list[Passage], used: set[int]) -> int | None:
    for index, p in enumerate(pool):
        if index in used or p.lane != drive.lane or p.tag not in (drive.tag, f"plate:{drive.plate}"):
            continue
        if drive.at - MATCH_BEFORE <= p.ts <= drive.at + MATCH_AFTER:
            return index
    return None


def _count_drive(result: NightScore, drive: Drive, passage: Passage | None) -> None:
    if drive.resident:
        result.residents += 1
        result.residents_opened += bool(passage and passage.decision == "open" and passage.passed)
    else:
        result.outsiders += 1
        result.outsiders_denied += bool(passage and passage.decision == "deny" and not passage.passed)
        if passage and passage.decision != "deny":
            result.details.append(f"outsider {drive.plate} let in at {drive.lane} {drive.at.isoformat()}")


Active = Callable[[str, datetime], "int | None"]  # (circuit, moment) → chargers drawing power, None: unknown


def score_charging(result: NightScore, night: Night, reports: Iterable[ChargeReport], active: Active) -> None:
    """Fill the charging counts: reports, taken while the true count had been steady for
    :data:`SETTLE` and the circuit in use, whose ``loads`` equals the chargers really drawing power."""
    for report in reports:
        if not night.start <= report.ts <= night.end:
            continue
        counts = {active(report.circuit, report.ts - SETTLE * k / 6) for k in range(7)}
        if None in counts or len(counts) != 1:
            continue
        truth = counts.pop()
        if truth == 0 and report.loads == 0:
            continue  # an idle circuit reported idle: right, but it says nothing about counting
        result.charge_reports += 1
        result.charge_exact += report.loads == truth


def plugged(night: Night) -> Active:
    """The chargers plugged into each circuit by the script (a truth for chargers that never taper)."""
    plugs = night.of(Plug)
    circuits = {p.circuit for p in plugs}

    def count(circuit: str, moment: datetime) -> int | None:
        if circuit not in circuits:
            return None
        ports: dict[int, bool] = {}
        for plug in plugs:
            if plug.circuit == circuit and plug.at <= moment:
                ports[plug.port] = plug.watts > 0
        return sum(ports.values())

    return count


def score_night(night: Night, verdicts: list[Verdict], passages: list[Passage], reports: list[ChargeReport],
                downtimes: list[Downtime], active: Active | None = None) -> NightScore:
    """Everything about one night; ``active`` defaults to :func:`plugged`."""
    result = NightScore(evening=night.evening.isoformat())
    score_violations(result, night, verdicts)
    score_gate(result, night, passages, downtimes)
    score_charging(result, night, reports, active or plugged(night))
    return result


COUNTS = ("true_violations", "found", "true_found", "confirmed", "false_accusations", "labelled_false",
          "provisional_left", "missed", "retracted", "residents", "residents_opened", "outsiders",
          "outsiders_denied", "drives_unseen", "passages_unmatched", "charge_reports", "charge_exact")


def total(scores: list[NightScore]) -> NightScore:
    """The sum of several nights' scores."""
    result = NightScore(evening="total")
    for score in scores:
        for name in COUNTS:
            setattr(result, name, getattr(result, name) + getattr(score, name))
        result.details.extend(f"{score.evening}: {d}" for d in score.details)
    return result
