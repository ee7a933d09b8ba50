"""The scanner's recovery ladder (蓝牙自恢复), as a pure function of (state, now, last heard).

When no advertisement at all has been heard for ``silence`` seconds the scanner climbs one rung,
and one more each further ``silence`` seconds of quiet:

1. restart the scanner (stop + start discovery)   — fault ``ble_no_advertisements``
2. power-cycle the adapter                        — fault ``ble_adapter_down``
3. give up: the process exits non-zero so systemd restarts it (and with it BlueZ's D-Bus state)

The first advertisement afterwards puts the ladder back on the ground and clears every fault it
raised (``active`` false).  A scanner that cannot even start raises ``ble_adapter_down`` at once;
the ladder still climbs on time.  ``raised`` survives a process restart (the scanner keeps it in a
small file), so a fault raised before the exit is cleared by the next process.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

NO_ADVERTISEMENTS = "ble_no_advertisements"
ADAPTER_DOWN = "ble_adapter_down"
FAULT_CODES = (NO_ADVERTISEMENTS, ADAPTER_DOWN)  # every code this ladder raises (hub/core/faultwords.py words them)
RESTART, POWER_CYCLE, GIVE_UP = "restart_scanner", "power_cycle_adapter", "exit"


@dataclass(frozen=True)
class FaultAction:
    """Emit a fault event."""

    code: str
    active: bool
    detail: str = ""


@dataclass(frozen=True)
class StepAction:
    """Take a recovery step: ``RESTART``, ``POWER_CYCLE`` or ``GIVE_UP``."""

    step: str


Action = FaultAction | StepAction


@dataclass(frozen=True)
class LadderState:
    level: int = 0  # 0 ground, 1 restarted, 2 power-cycled, 3 gave up
    step_at: float = 0.0  # monotonic time of the newest step (or of the start)
    raised: frozenset[str] = field(default_factory=frozenset)


_RUNGS = {
    1: (NO_ADVERTISEMENTS, RESTART, "no Bluetooth advertisements for {quiet:.0f} s; restarting the scanner"),
    2: (ADAPTER_DOWN, POWER_CYCLE, "still no advertisements {quiet:.0f} s after a scanner restart; "
                                   "power-cycling adapter {adapter}"),
    3: (ADAPTER_DOWN, GIVE_UP, "no advertisements {quiet:.0f} s after power-cycling {adapter}; "
                               "exiting so systemd restarts the service"),
}


def on_tick(state: LadderState, *, now: float, last_heard: float, silence: float,
            adapter: str) -> tuple[LadderState, list[Action]]:
    """One watchdog check; ``last_heard`` is when the newest advertisement arrived."""
    if last_heard > state.step_at and (state.level or state.raised):
        return heard(state, now=now)
    quiet_since = max(last_heard, state.step_at)
    if state.level >= 3 or now - quiet_since < silence:
        return state, []
    level = state.level + 1
    code, step, text = _RUNGS[level]
    detail = text.format(quiet=now - last_heard, adapter=adapter)
    new = LadderState(level=level, step_at=now, raised=state.raised | {code})
    return new, [FaultAction(code, True, detail), StepAction(step)]


def heard(state: LadderState, *, now: float) -> tuple[LadderState, list[Action]]:
    """Advertisements flow: back to the ground, clearing what was raised."""
    clears: list[Action] = [FaultAction(code, False, "advertisements are arriving again")
                            for code in sorted(state.raised)]
    return LadderState(level=0, step_at=now), clears


def start_failed(state: LadderState, *, now: float, error: str, adapter: str) -> tuple[LadderState, list[Action]]:
    """The scanner could not start (adapter missing, BlueZ not running...): raise the fault now."""
    detail = f"cannot start scanning on {adapter}: {error}"
    return replace(state, raised=state.raised | {ADAPTER_DOWN}), [FaultAction(ADAPTER_DOWN, True, detail)]
