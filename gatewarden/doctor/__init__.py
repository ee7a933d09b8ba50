"""The doctor (自检): ``gatewarden doctor --config F`` checks a Pi and explains what is wrong.

- :mod:`.run` chooses the checks from the config's role; :mod:`.basics`, :mod:`.hardware` and
  :mod:`.meters` do them; :mod:`.seams` holds what tests replace (clock, NTP, pins, bleak
  backend); :mod:`.report` and :mod:`.texts` turn results into Chinese or English.
See docs/doctor.md.
"""
