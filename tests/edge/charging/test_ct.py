"""CT clamp through an MCP3008: gpiozero's MockFactory with a mock SPI slave answering as the ADC."""

import math

import pytest

from edge.charging.config import CtMeter
from edge.charging.ctclamp import CtClamps, rms_amps
from gwcommon.clock import FakeClock


class MockMCP3008:
    """The slave side of an MCP3008 on gpiozero's software SPI (CE0: clock 11, MOSI 10, MISO 9, select 8).

    Each conversion returns the next value of ``wave(k)`` volts for sample k (a mains sine
    around the clamp's 1.65 V bias), so the RMS does not depend on how fast the test runs.
    """

    def __init__(self, wave, vref=3.3):
        from gpiozero.pins.mock import MockSPIDevice

        outer = self

        class Device(MockSPIDevice):
            def on_start(self):
                super().on_start()
                self.phase = "idle"

            def on_bit(self):
                if self.phase == "idle" and self.rx_buf and self.rx_buf[-1]:
                    self.phase, self.rx_buf = "mode", []
                elif self.phase == "mode":
                    self.phase, self.rx_buf = "channel", []
                elif self.phase == "channel" and len(self.rx_buf) == 3:
                    self.tx_word(outer.convert(), 12)
                    self.phase = "result"

        self.wave, self.vref, self.k = wave, vref, 0
        self.device = Device(11, 10, 9, 8)

    def convert(self):
        volts = min(max(self.wave(self.k), 0.0), self.vref)
        self.k += 1
        return int(round(volts / self.vref * 1023))

    def close(self):
        self.device.close()


def sine(amps, amps_per_volt=30.0, per_cycle=20, bias=1.65):
    peak = amps * math.sqrt(2) / amps_per_volt
    return lambda k: bias + peak * math.sin(2 * math.pi * k / per_cycle)


@pytest.mark.parametrize("amps", [0.0, 2.0, 8.0, 14.5])
def test_rms_current_from_a_mock_adc(mock_factory, amps):
    adc = MockMCP3008(sine(amps))
    clamps = CtClamps([CtMeter(kind="ct", circuit="shed-a", samples=200)], clock=FakeClock(), pin_factory=mock_factory)
    try:
        (reading,) = clamps.poll()
    finally:
        clamps.close()
        adc.close()
    assert reading.current_a == pytest.approx(amps, abs=0.1)
    assert reading.power_w == pytest.approx(amps * 220, abs=25)
    assert reading.voltage_v is None and reading.energy_wh is None


def test_missing_bias_reads_as_unreadable(mock_factory):
    adc = MockMCP3008(lambda k: 0.0)
    clamps = CtClamps([CtMeter(kind="ct", circuit="shed-a", samples=50)], clock=FakeClock(), pin_factory=mock_factory)
    try:
        (reading,) = clamps.poll()
    finally:
        clamps.close()
        adc.close()
    assert "clipping" in reading.reason


@pytest.mark.parametrize("volts,ratio,floor,expected", [
    ([1.0, 1.0, 1.0, 1.0], 30, 0.0, 0.0),
    ([0.9, 1.1, 0.9, 1.1], 30, 0.0, 3.0),
    ([0.999, 1.001] * 4, 30, 0.05, 0.0),         # below the noise floor
])
def test_rms_amps(volts, ratio, floor, expected):
    assert rms_amps(volts, ratio, floor) == pytest.approx(expected)
