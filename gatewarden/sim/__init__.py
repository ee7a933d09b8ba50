"""The simulated compound behind `gatewarden demo` and `gatewarden simulate`.

``compound`` builds the place (households, cars, tags, zones) from a seed; ``night`` writes one
night's script (who drives in and out, who parks off-space, who is still there at the deadline)
together with the ground truth the scores are checked against.  Both are pure and deterministic:
the same seed gives the same compound and the same night.
"""
