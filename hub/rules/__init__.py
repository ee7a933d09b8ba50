"""The committee's rules as pure decision functions (no I/O): see hub.rules.overnight."""
