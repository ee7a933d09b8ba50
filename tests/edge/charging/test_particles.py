"""The counter's bank of guesses (edge/charging/particles.py): steps explained per guess, the cap
on followed chargers, and faulty chargers that would flood a naive counter (pure)."""

import random

import numpy as np

from edge.charging import particles
from edge.charging.counting import CountingParams, initial_state, observe
from edge.charging.simulator import Charger, CircuitSim

PR = particles.Priors()


def bank_with(*sizes, at=0.0):
    bank = particles.empty(PR)
    for i, size in enumerate(sizes):
        bank = particles.add_session(bank, at + i, size, PR)
    return particles.update(bank, at + len(sizes), sum(sizes), 0.0, PR)


def weight_where(bank, mask):
    return float(particles._weights(bank)[mask].sum())


def test_an_unplug_removes_the_charger_whose_power_matches_the_drop():
    bank = particles.drop(bank_with(110, 200), 10.0, 198.0, PR)
    assert bank.sessions == 2 or bank.size_w.tolist() == [110]
    if bank.sessions == 2:
        assert weight_where(bank, ~bank.alive[:, 1]) > 0.95
    assert particles.estimate(bank, 10.0, 15.0, PR) == 1


def test_a_drop_to_about_half_is_a_lead_acid_charger_entering_cv_not_an_unplug():
    bank = particles.drop(bank_with(200), 10.0, 90.0, PR)
    assert bank.alive.all()
    cv = bank.lead[:, 0] & bank.tapering[:, 0]
    assert weight_where(bank, cv) > 0.99
    assert np.allclose(particles.powers(bank, 10.0, PR)[cv], 110, atol=1)
    assert particles.estimate(bank, 10.0, 15.0, PR) == 1


def test_never_more_chargers_are_followed_than_max_sessions():
    bank = particles.empty(PR)
    for i in range(PR.max_sessions + 10):
        bank = particles.add_session(bank, float(i), 100.0 + i, PR)
    assert bank.sessions == PR.max_sessions
    assert bank.size_w.min() == 110.0  # the smallest went first


def test_a_loose_plug_flickering_for_an_hour_is_one_charger_at_most():
    pulsing = Charger("pulsing", plug_s=60, unplug_s=3660, cc_w=150, cc_s=0, taper_s=1, full_w=0, period_s=20)
    sim = CircuitSim([pulsing], rng=random.Random(5))
    params = CountingParams()
    state, loads = initial_state(params), []
    for t in range(4000):
        state, c = observe(state, float(t), sim.sample(float(t)).power_w, params)
        loads.append(c.loads)
        assert all(bank.sessions <= PR.max_sessions for bank in state.banks)
    assert max(loads) == 1 and loads[-1] == 0


def test_everything_unplugged_resets_the_bank():
    params = CountingParams()
    state = initial_state(params)
    for t, w in enumerate([0.0] * 10 + [110.0] * 30 + [220.0] * 30 + [0.0] * 30):
        state, c = observe(state, float(t), w, params)
    assert c.loads == 0 and state.resets >= 1 and all(bank.sessions == 0 for bank in state.banks)


def test_the_remembered_predictions_match_a_full_recomputation():
    """Moves re-compute only the chargers they change; the cached history must stay exact."""
    from edge.charging.simulator import random_evening

    params = CountingParams()
    checked = 0
    for seed in (2, 9):
        rng = random.Random(seed)
        sim = CircuitSim(random_evening(rng, max_chargers=6, hours=3), rng=rng)
        state = initial_state(params)
        for t in range(3 * 3600):
            state, _ = observe(state, float(t), sim.sample(float(t)).power_w, params)
            for bank, priors in zip(state.banks, params.bank_priors):  # every bank of the vote
                if t % 600 == 599 and bank.hist_pred is not None and bank.hist_t.size:
                    assert np.allclose(bank.hist_pred, particles.history_prediction(bank, priors), atol=1e-6)
                    checked += 1
    assert checked >= 30
