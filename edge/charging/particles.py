"""Guessing what each charger on a circuit is doing (pure; numpy; a particle filter).

The meter sees only the circuit's total power.  A charger shows itself clearly when it is
plugged in (an ON step) and when it is unplugged while drawing (an OFF step), but it *stops
charging* silently: a lithium charger's power declines smoothly to 5–10 W (full), a lead-acid
charger drops to its CV stage and then slides to float.  Which of several chargers is tapering —
and so how many still draw ≥ ``active_w`` — is hidden in the shape of the total.

So we keep a few hundred *guesses* (particles).  Each guess says, for every charger seen so far
(a *session*, one column), whether it is still plugged, which kind it is, whether it is still at
constant power or tapering, since when, how fast, and down to what floor.  Every
``update_s`` seconds each guess predicts the total power; guesses that predict the meter badly
lose weight, and the weak ones are replaced by copies of the strong ones (resampling).  Between
updates, every guess may start a charger's taper, as often as the priors say chargers do.  The
number of active chargers is the count most of the weight agrees on.

Steps come from :mod:`edge.charging.counting` (median filter, stable for 3 samples):

* an ON step adds a column — a charger at constant power of the step's size;
* an OFF step is explained by each guess on its own: one of its chargers unplugged (its power
  matches the drop) or a lead-acid charger went from CC to CV (a drop of 25–70 % of its power);
* power that no guess explains for long becomes a new column (the counter started while chargers
  were on, or a charger ramped up too slowly to make a step).

Every ``move_every_s`` each guess also tries one small change to one charger — retime its taper,
start or undo a taper, swap the taper with another charger, change its kind, let it have been
unplugged unseen or bring it back — and keeps the change when it explains the last
``history_hours`` of the level better (a Metropolis step over the remembered history).  Without
this, a guess that blamed the wrong charger for a taper early on could never be corrected.

The priors (``Priors``) come from research/charging_anchors.md §2: CC for 0.3–5 h, a lithium
taper of 1–2.5 h (``exp(−4·age/T)``) to 5–10 W, a lead-acid CV stage of 1–2.5 h down to 20 W then
float at 8–14 W.  Everything here is a pure function of its inputs: the random numbers come from
a generator seeded by the bank's own update counter and the time, so a replay gives the same
answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

HOUR = 3600.0


@dataclass(frozen=True)
class Priors:
    """What chargers are like (research/charging_anchors.md §2), as the guesses draw them."""

    particles: int = 256                              # guesses kept per circuit
    update_s: float = 10.0                            # weigh the guesses this often
    lithium_share: float = 0.6                        # a new charger is lithium in this share of guesses
    cc_hours: tuple[float, float] = (0.3, 5.0)        # constant power before the taper begins
    taper_hours: tuple[float, float] = (0.9, 2.7)     # taper (lithium) or CV stage (lead-acid) length
    lithium_full_w: tuple[float, float] = (5.0, 10.0)  # a full lithium pack's charger
    lead_float_w: tuple[float, float] = (8.0, 14.0)   # a lead-acid charger in float
    lead_cv_end_w: float = 20.0                       # where the CV stage slides to
    lead_cv_shape: float = 1.5                        # CV: (1 − age/T) ** shape
    lead_cv_drop: tuple[float, float] = (0.25, 0.7)   # CC → CV loses this share of the power
    lithium_taper_rate: float = 4.0                   # taper: exp(−rate · age/T)
    proposal_hours: float = 1.0                       # guesses try a taper start at least this often
    sigma_w: float = 8.0                              # how far a prediction may miss the level:
    sigma_pct: float = 0.02                           #   sigma_w + sigma_pct × level
    drop_sigma_w: float = 8.0                         # how far an unplugged charger may miss the drop:
    drop_sigma_pct: float = 0.08                      #   drop_sigma_w + drop_sigma_pct × drop
    quiet_unplug_hours: float = 30.0                  # a charger under 40 W leaves unseen about this rarely
    missed_unplug_hours: float = 300.0                # a bigger one (its OFF step missed) far more rarely
    max_sessions: int = 24                            # chargers followed at most (the smallest is forgotten)
    history_hours: float = 3.0                        # the level remembered for the moves…
    history_step_s: float = 60.0                      # …once a minute
    move_every_s: float = 300.0                       # every guess tries one change this often
    seed: int = 20261122


@dataclass(frozen=True)
class Bank:
    """The guesses: one row per particle, one column per session (a charger seen plugged in)."""

    size_w: np.ndarray = field(default_factory=lambda: np.zeros(0))       # (S,) the ON step
    start: np.ndarray = field(default_factory=lambda: np.zeros(0))        # (S,) when plugged
    end: np.ndarray | None = None       # (N, S) when unplugged (inf: still plugged in)
    lead: np.ndarray | None = None      # (N, S) bool: lead-acid (else lithium)
    tapering: np.ndarray | None = None  # (N, S) bool: past constant power
    t0: np.ndarray | None = None        # (N, S) taper (or CV) start
    taper_s: np.ndarray | None = None   # (N, S) taper (or CV) length
    p0: np.ndarray | None = None        # (N, S) power when the taper began
    floor_w: np.ndarray | None = None   # (N, S) full / float power
    logw: np.ndarray | None = None      # (N,) log weights
    hist_t: np.ndarray = field(default_factory=lambda: np.zeros(0))     # (H,) level history
    hist_w: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hist_pred: np.ndarray | None = None  # (N, H) each guess's power at the history's times (None: recompute)
    moved_at: float | None = None
    count: int = 0              # the estimate at the last update: chargers drawing ≥ active_w
    expected_w: float = 0.0     # the guesses' weighted mean charger power at the last update
    updated_at: float | None = None
    updates: int = 0

    @property
    def alive(self) -> np.ndarray:
        return np.isinf(self.end)

    @property
    def sessions(self) -> int:
        return int(self.size_w.shape[0])


def empty(priors: Priors) -> Bank:
    n = priors.particles
    z = np.zeros((n, 0))
    return Bank(end=z, lead=z.astype(bool), tapering=z.astype(bool), t0=z, taper_s=z,
                p0=z, floor_w=z, logw=np.zeros(n))


def _rng(bank: Bank, ts: float, priors: Priors, salt: int) -> np.random.Generator:
    return np.random.default_rng([priors.seed, bank.updates, int(ts * 1000) & 0xFFFFFFFF, salt])


def powers(bank: Bank, ts, priors: Priors) -> np.ndarray:
    """Each guess's power of each charger at ``ts``: (N, S) for one time, (N, S, H) for H times."""
    if bank.sessions == 0:
        return np.zeros((priors.particles, 0) + np.shape(ts))
    t = np.asarray(ts, dtype=float)
    cols = (lambda a: a[..., None]) if t.ndim else (lambda a: a)
    return _power(t, priors, *(cols(a) for a in (
        bank.start[None, :], bank.end, bank.size_w[None, :], bank.lead, bank.tapering, bank.t0,
        bank.taper_s, bank.p0, bank.floor_w)))


def _power(t, priors: Priors, start, end, size_w, lead, tapering, t0, taper_s, p0, floor_w) -> np.ndarray:
    """The charger model: constant ``size_w`` until ``t0``, then a lithium taper
    (``exp(−rate·age/T)`` to ``floor_w``) or a lead-acid CV slide to 20 W and float; 0 unplugged."""
    frac = np.clip((t - t0) / taper_s, 0.0, 1.0)
    lithium = floor_w + (p0 - floor_w) * np.exp(-priors.lithium_taper_rate * frac)
    left = 1.0 - frac
    end_w = priors.lead_cv_end_w
    cv = end_w + (p0 - end_w) * (left * np.sqrt(left) if priors.lead_cv_shape == 1.5 else left ** priors.lead_cv_shape)
    tapered = np.where(frac >= 1.0, floor_w, np.where(lead, cv, lithium))
    p = np.where(~tapering | (t < t0), size_w, tapered)
    return np.where((t >= start) & (t < end), p, 0.0)


def add_session(bank: Bank, ts: float, size_w: float, priors: Priors) -> Bank:
    """An ON step: every guess gets a new charger at constant power."""
    rng = _rng(bank, ts, priors, 1)
    n = priors.particles
    lead = rng.random(n) >= priors.lithium_share
    floor = np.where(lead, rng.uniform(*priors.lead_float_w, n), rng.uniform(*priors.lithium_full_w, n))
    bank = replace(
        bank, size_w=np.append(bank.size_w, size_w), start=np.append(bank.start, ts),
        end=np.column_stack([bank.end, np.full(n, np.inf)]),
        lead=np.column_stack([bank.lead, lead]),
        tapering=np.column_stack([bank.tapering, np.zeros(n, bool)]),
        t0=np.column_stack([bank.t0, np.full(n, ts)]),
        taper_s=np.column_stack([bank.taper_s, rng.uniform(*priors.taper_hours, n) * HOUR]),
        p0=np.column_stack([bank.p0, np.full(n, size_w)]),
        floor_w=np.column_stack([bank.floor_w, floor]),
        hist_pred=bank.hist_pred if not bank.hist_t.size or bank.hist_t[-1] < ts else None,
        updates=bank.updates + 1)
    if bank.sessions > priors.max_sessions:
        bank = _forget_smallest(bank, ts, priors)
    return bank


def drop(bank: Bank, ts: float, drop_w: float, priors: Priors) -> Bank:
    """An OFF step of ``drop_w``: each guess picks its own explanation, weighted by how well it
    fits — an unplugged charger whose power matches, or a lead-acid charger entering CV."""
    if bank.sessions == 0:
        return bank
    rng = _rng(bank, ts, priors, 2)
    p = powers(bank, ts, priors)
    sigma = priors.drop_sigma_w + priors.drop_sigma_pct * drop_w
    unplug = np.where(bank.alive, np.exp(-0.5 * ((p - drop_w) / sigma) ** 2) / sigma, 0.0)
    lo, hi = priors.lead_cv_drop
    size = bank.size_w[None, :]
    cv_fits = bank.alive & bank.lead & ~bank.tapering & (drop_w >= lo * size) & (drop_w <= hi * size)
    cv = np.where(cv_fits, 1.0 / ((hi - lo) * size), 0.0)
    nothing = np.full((priors.particles, 1), 1e-6 / max(drop_w, 1.0))
    options = np.hstack([unplug, cv, nothing])
    total = options.sum(axis=1)
    choice = (options.cumsum(axis=1) < (rng.random(priors.particles) * total)[:, None]).sum(axis=1)
    s = bank.sessions
    rows = np.arange(priors.particles)
    end, tapering = bank.end.copy(), bank.tapering.copy()
    t0, p0 = bank.t0.copy(), bank.p0.copy()
    gone = choice < s
    end[rows[gone], choice[gone]] = ts
    to_cv = (choice >= s) & (choice < 2 * s)
    cols = choice[to_cv] - s
    tapering[rows[to_cv], cols] = True
    t0[rows[to_cv], cols] = ts
    p0[rows[to_cv], cols] = np.maximum(priors.lead_cv_end_w, bank.size_w[cols] - drop_w)
    logw = bank.logw + np.log(total)
    bank = replace(bank, end=end, tapering=tapering, t0=t0, p0=p0, logw=logw - logw.max(),
                   updates=bank.updates + 1)
    return _prune(bank, priors)


def empty_like(bank: Bank) -> Bank:
    """No chargers and no history, for a bank of the same size; the counters and times carry on."""
    n = bank.logw.shape[0]
    z = np.zeros((n, 0))
    return replace(bank, size_w=np.zeros(0), start=np.zeros(0), end=z, lead=z.astype(bool),
                   tapering=z.astype(bool), t0=z, taper_s=z, p0=z, floor_w=z, logw=np.zeros(n),
                   hist_t=np.zeros(0), hist_w=np.zeros(0), hist_pred=None, updates=bank.updates + 1)


def update(bank: Bank, ts: float, level_w: float, background_w: float, priors: Priors, *,
           active_w: float = 15.0) -> Bank:
    """Let time pass to ``ts`` (tapers may begin, chargers may leave unseen), then weigh every
    guess by how well it predicts ``level_w``; resample when the weight sits on few guesses.
    ``bank.count`` is then the number of chargers drawing ≥ ``active_w`` most weight agrees on."""
    since = bank.updated_at if bank.updated_at is not None else ts
    bank = replace(bank, updated_at=ts, updates=bank.updates + 1)
    if bank.sessions == 0:
        return replace(bank, count=0, expected_w=0.0)
    dt = max(0.0, ts - since)
    rng = _rng(bank, ts, priors, 3)
    bank, p = _advance(bank, ts, dt, rng, priors)
    charger_w = p.sum(axis=1)
    sigma = priors.sigma_w + priors.sigma_pct * max(level_w, 0.0)
    logw = bank.logw - 0.5 * ((background_w + charger_w - level_w) / sigma) ** 2
    bank = _remember(replace(bank, logw=logw - logw.max()), ts, level_w - background_w, charger_w, priors)
    w = _weights(bank)
    votes = np.bincount((p >= active_w).sum(axis=1), weights=w)
    bank = replace(bank, count=int(np.argmax(votes)), expected_w=float(w @ charger_w))
    if 1.0 / float((w ** 2).sum()) < priors.particles / 2:
        bank = _resample(bank, w, rng, priors)
    if bank.moved_at is None or ts - bank.moved_at >= priors.move_every_s:
        bank = replace(_move(bank, ts, rng, priors), moved_at=ts)
    return _prune(bank, priors)


def _remember(bank: Bank, ts: float, charger_w: float, predicted: np.ndarray, priors: Priors) -> Bank:
    """Keep the chargers' power once a ``history_step_s`` over the last ``history_hours``, and
    each guess's prediction of it (``predicted``, (N,)), so a move re-computes only what it changed."""
    if bank.hist_t.size and ts - bank.hist_t[-1] < priors.history_step_s:
        return bank
    keep = bank.hist_t > ts - priors.history_hours * HOUR
    pred = None if bank.hist_pred is None else np.column_stack([bank.hist_pred[:, keep], predicted])
    return replace(bank, hist_t=np.append(bank.hist_t[keep], ts), hist_w=np.append(bank.hist_w[keep], charger_w),
                   hist_pred=pred)


def history_prediction(bank: Bank, priors: Priors) -> np.ndarray:
    """(N, H): each guess's chargers' power at the remembered times (computed in full)."""
    return powers(bank, bank.hist_t, priors).sum(axis=1)


def misfit(bank: Bank, priors: Priors, predicted: np.ndarray | None = None) -> np.ndarray:
    """(N,): how badly each guess explains the remembered history (sum of squared z-scores)."""
    if predicted is None:
        predicted = history_prediction(bank, priors)
    sigma = priors.sigma_w + priors.sigma_pct * np.maximum(bank.hist_w, 0.0)
    return (((predicted - bank.hist_w) / sigma) ** 2).sum(axis=1)


def _picked(bank: Bank, rows: np.ndarray, picked: np.ndarray, arrays: dict) -> tuple:
    """The model's arrays for one chosen column per guess ((N, 1, 1), to broadcast over history)."""
    def at(a):
        return a[rows, picked][:, None, None]
    return (bank.start[picked][:, None, None], at(arrays["end"]), bank.size_w[picked][:, None, None],
            at(arrays["lead"]), at(arrays["tapering"]), at(arrays["t0"]), at(arrays["taper_s"]),
            at(arrays["p0"]), at(arrays["floor_w"]))


MOVES = ("retime", "toggle_taper", "swap", "toggle_kind", "leave_or_stay")


def _move(bank: Bank, ts: float, rng: np.random.Generator, priors: Priors) -> Bank:
    """Rejuvenate the guesses: each proposes one small change to one charger (retime its taper,
    start or undo a taper, swap the taper with another charger, change its kind, unplug it
    quietly or bring it back) and keeps it if it explains the remembered history better
    (Metropolis).  This is how a guess that blamed the wrong charger's taper is corrected."""
    if bank.sessions == 0 or bank.hist_t.size < 5:
        return bank
    n, s = bank.end.shape
    rows = np.arange(n)
    j = rng.integers(s, size=n)
    k = rng.integers(s, size=n)
    kind = rng.integers(len(MOVES), size=n)
    end, lead, tapering = bank.end.copy(), bank.lead.copy(), bank.tapering.copy()
    t0, taper_s, p0, floor_w = bank.t0.copy(), bank.taper_s.copy(), bank.p0.copy(), bank.floor_w.copy()
    alive_j = np.isinf(end[rows, j])
    lithium_j = ~lead[rows, j]
    lo_t, hi_t = (h * HOUR for h in priors.taper_hours)
    earliest = np.maximum(bank.start[j], ts - priors.history_hours * HOUR)

    m = (kind == 0) & tapering[rows, j] & lithium_j
    t0[rows[m], j[m]] = np.clip(t0[rows[m], j[m]] + rng.normal(0, 600, m.sum()), bank.start[j[m]], ts)
    taper_s[rows[m], j[m]] = np.clip(taper_s[rows[m], j[m]] * np.exp(rng.normal(0, 0.15, m.sum())), lo_t, hi_t)

    m = (kind == 1) & lithium_j & alive_j
    starting = m & ~tapering[rows, j]
    t0[rows[starting], j[starting]] = rng.uniform(earliest[starting], ts)
    taper_s[rows[starting], j[starting]] = rng.uniform(lo_t, hi_t, starting.sum())
    p0[rows[m], j[m]] = bank.size_w[j[m]]
    tapering[rows[m], j[m]] = ~tapering[rows[m], j[m]]

    m = (kind == 2) & lithium_j & ~lead[rows, k] & (j != k)
    for a in (tapering, t0, taper_s):
        a[rows[m], j[m]], a[rows[m], k[m]] = a[rows[m], k[m]], a[rows[m], j[m]].copy()

    m = (kind == 3) & ~tapering[rows, j]
    lead[rows[m], j[m]] = ~lead[rows[m], j[m]]
    floor_w[rows[m], j[m]] = np.where(lead[rows[m], j[m]], rng.uniform(*priors.lead_float_w, m.sum()),
                                      rng.uniform(*priors.lithium_full_w, m.sum()))

    m = (kind == 4)
    leaving = m & alive_j
    end[rows[leaving], j[leaving]] = rng.uniform(earliest[leaving], ts)
    end[rows[m & ~alive_j], j[m & ~alive_j]] = np.inf

    before = bank.hist_pred if bank.hist_pred is not None else history_prediction(bank, priors)
    old = {"end": bank.end, "lead": bank.lead, "tapering": bank.tapering, "t0": bank.t0,
           "taper_s": bank.taper_s, "p0": bank.p0, "floor_w": bank.floor_w}
    new = {"end": end, "lead": lead, "tapering": tapering, "t0": t0, "taper_s": taper_s, "p0": p0,
           "floor_w": floor_w}
    times = bank.hist_t[None, None, :]
    change = np.zeros_like(before)
    for picked, counted in ((j, np.ones(n, bool)), (k, k != j)):
        delta = (_power(times, priors, *_picked(bank, rows, picked, new))
                 - _power(times, priors, *_picked(bank, rows, picked, old)))[:, 0, :]
        change += np.where(counted[:, None], delta, 0.0)
    after = before + change
    accept = np.log(rng.random(n)) < (misfit(bank, priors, before) - misfit(bank, priors, after)) / 2
    pick = (lambda a, b: np.where(accept[:, None], b, a))
    return replace(bank, end=pick(bank.end, end), lead=pick(bank.lead, lead),
                   tapering=pick(bank.tapering, tapering), t0=pick(bank.t0, t0),
                   taper_s=pick(bank.taper_s, taper_s), p0=pick(bank.p0, p0),
                   floor_w=pick(bank.floor_w, floor_w), hist_pred=pick(before, after))


def _advance(bank: Bank, ts: float, dt: float, rng: np.random.Generator,
             priors: Priors) -> tuple[Bank, np.ndarray]:
    """Tapers that began and chargers unplugged unseen during ``dt``; also each guess's powers at ``ts``."""
    n, s = bank.alive.shape
    if dt <= 0:
        return bank, powers(bank, ts, priors)
    age = ts - bank.start[None, :]
    lo, hi = (h * HOUR for h in priors.cc_hours)
    hazard = np.where(age < lo, dt / (20 * HOUR), dt / np.maximum(hi - age, 0.5 * HOUR))
    hazard = np.maximum(hazard, dt / (priors.proposal_hours * HOUR))
    starts = bank.alive & ~bank.tapering & ~bank.lead & (rng.random((n, s)) < hazard)
    t0 = np.where(starts, ts - rng.random((n, s)) * dt, bank.t0)
    p0 = np.where(starts, bank.size_w[None, :], bank.p0)
    bank = replace(bank, tapering=bank.tapering | starts, t0=t0, p0=p0)
    p = powers(bank, ts, priors)
    leave_rate = np.where(p < 40.0, priors.quiet_unplug_hours, priors.missed_unplug_hours) * HOUR
    leaves = bank.alive & (rng.random((n, s)) < dt / leave_rate)
    end = np.where(leaves, ts - rng.random((n, s)) * dt, bank.end)
    return replace(bank, end=end), np.where(leaves, 0.0, p)


def _weights(bank: Bank) -> np.ndarray:
    w = np.exp(bank.logw - bank.logw.max())
    return w / w.sum()


def _resample(bank: Bank, w: np.ndarray, rng: np.random.Generator, priors: Priors) -> Bank:
    n = priors.particles
    positions = (rng.random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(np.cumsum(w), positions), n - 1)
    jitter = np.exp(rng.normal(0.0, 0.03, (n, bank.sessions)))
    return replace(bank, end=bank.end[idx], lead=bank.lead[idx], tapering=bank.tapering[idx],
                   t0=bank.t0[idx], taper_s=bank.taper_s[idx] * jitter, p0=bank.p0[idx],
                   floor_w=np.clip(bank.floor_w[idx] + rng.normal(0.0, 0.3, (n, bank.sessions)), 1.0, None),
                   logw=np.zeros(n), hist_pred=None)


def _prune(bank: Bank, priors: Priors) -> Bank:
    """Drop chargers every guess has unplugged; their past power leaves the history with them."""
    keep = bank.alive.any(axis=0)
    if keep.all():
        return bank
    return _columns(_forget_history(bank, ~keep, priors), keep)


def _forget_history(bank: Bank, gone: np.ndarray, priors: Priors) -> Bank:
    """Take the past power of the ``gone`` columns out of the remembered history."""
    if not bank.hist_t.size:
        return bank
    past = _weights(bank) @ powers(bank, bank.hist_t, priors)[:, gone, :].sum(axis=1)
    return replace(bank, hist_w=bank.hist_w - past)


def _columns(bank: Bank, keep: np.ndarray) -> Bank:
    return replace(bank, size_w=bank.size_w[keep], start=bank.start[keep], end=bank.end[:, keep],
                   lead=bank.lead[:, keep], tapering=bank.tapering[:, keep], t0=bank.t0[:, keep],
                   taper_s=bank.taper_s[:, keep], p0=bank.p0[:, keep], floor_w=bank.floor_w[:, keep],
                   hist_pred=None)


def _forget_smallest(bank: Bank, ts: float, priors: Priors) -> Bank:
    """Too many chargers to follow: forget the one drawing least (most likely full and gone)."""
    mean = _weights(bank) @ powers(bank, ts, priors)
    keep = np.ones(bank.sessions, bool)
    keep[int(np.argmin(mean))] = False
    return _columns(_forget_history(bank, ~keep, priors), keep)


def estimate(bank: Bank, ts: float, active_w: float, priors: Priors) -> int:
    """The number of chargers drawing ≥ ``active_w`` at ``ts`` that most weight agrees on
    (what :func:`update` leaves in ``bank.count``; for looking into a bank between updates)."""
    if bank.sessions == 0:
        return 0
    counts = (powers(bank, ts, priors) >= active_w).sum(axis=1)
    return int(np.argmax(np.bincount(counts, weights=_weights(bank))))


def oldest_start(bank: Bank) -> float | None:
    return float(bank.start[0]) if bank.sessions else None

