"""The installer's tools: Mosquitto configuration for a compound (accounts, ACLs, TLS) and the
bridge to a district broker.  ``gatewarden deploy broker|bridge`` (see :mod:`gatewarden.deploy.cli`)."""
