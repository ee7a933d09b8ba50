"""The web view (网页) and JSON API of the hub: server-rendered pages for wardens on a phone and
the committee on a laptop, behind a login.  See docs/web.md.

The package stays light to import (the CLI imports :mod:`hub.cli.accounts`); :mod:`hub.web.app` has
``attach(hub)``.
"""
