"""MIDI output ports through python-rtmidi: listing them (with the reason when there are none), opening one.

Without an ALSA sequencer (``/dev/snd/seq``, e.g. in a container) nothing here raises anything but
:class:`MidiPortError`, whose message says what is missing and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

import mido


class MidiPortError(Exception):
    """Raised when a MIDI output port cannot be listed or opened; the message is for users."""


def _midi_out():
    """A fresh rtmidi.MidiOut, or MidiPortError with the reason (no ALSA sequencer, no rtmidi)."""
    try:
        import rtmidi
    except ImportError as exc:
        raise MidiPortError(f"python-rtmidi is not installed ({exc}).") from exc
    try:
        return rtmidi.MidiOut()
    except Exception as exc:  # rtmidi.SystemError when /dev/snd/seq is missing
        raise MidiPortError(
            f"No MIDI system is available: {exc} (on Linux the ALSA sequencer /dev/snd/seq is needed; "
            "try 'sudo modprobe snd-seq')."
        ) from exc


@dataclass(frozen=True)
class PortListing:
    """Output port names, and why the list is empty when there is no MIDI system."""

    ports: list[str]
    reason: str = ""


def list_output_port_status() -> PortListing:
    try:
        out = _midi_out()
    except MidiPortError as exc:
        return PortListing([], str(exc))
    try:
        ports = list(out.get_ports())
    finally:
        out.delete()
    return PortListing(ports, "" if ports else "There are no MIDI output ports.")


def list_output_ports() -> list[str]:
    """Names of the MIDI output ports; [] when there is no MIDI system (see list_output_port_status for why)."""
    return list_output_port_status().ports


class MidiOutput:
    """An open MIDI output port: ``send(mido.Message)``, ``close()``; also a context manager."""

    def __init__(self, out, name: str):
        self._out = out
        self.name = name

    def send(self, message: mido.Message) -> None:
        if self._out is None:
            raise MidiPortError(f"The MIDI port {self.name!r} is closed.")
        try:
            self._out.send_message(message.bytes())
        except Exception as exc:
            raise MidiPortError(f"Could not send to the MIDI port {self.name!r}: {exc}") from exc

    def close(self) -> None:
        if self._out is not None:
            self._out.close_port()
            self._out.delete()
            self._out = None

    def __enter__(self) -> MidiOutput:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_output(name: str | None = None, virtual: bool = False) -> MidiOutput:
    """Opens the output port called ``name`` (or containing it), the first port when None, or a virtual port
    called ``name`` (default 'ABC Studio') when ``virtual``. Raises :class:`MidiPortError`."""
    out = _midi_out()
    try:
        if virtual:
            port_name = name or "ABC Studio"
            out.open_virtual_port(port_name)
            return MidiOutput(out, port_name)
        ports = list(out.get_ports())
        if not ports:
            raise MidiPortError("There are no MIDI output ports to open.")
        index = 0 if name is None else next((i for i, p in enumerate(ports) if name == p or name in p), None)
        if index is None:
            raise MidiPortError(f"No MIDI output port is called {name!r}; there are: {', '.join(ports)}.")
        out.open_port(index)
        return MidiOutput(out, ports[index])
    except MidiPortError:
        out.delete()
        raise
    except Exception as exc:
        out.delete()
        raise MidiPortError(f"Could not open the MIDI port: {exc}") from exc
