"""The gate lane: Bluetooth tags open the barrier, safely, with the network down (docs/gate.md)."""
