"""What the run is doing, for a progress line on a terminal: a phase and a count, updated by the engine as it goes
(an integer increment per registration or answered call: nothing the run pays for when nobody shows it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Progress:
    phase: str = ""
    done: int = 0
    total: int = 0

    def start(self, phase: str, total: int = 0) -> None:
        self.phase, self.done, self.total = phase, 0, total

    def step(self, count: int = 1) -> None:
        self.done += count

    def line(self) -> str:
        if not self.phase:
            return ""
        if self.total:
            return f"{self.phase}: {min(self.done, self.total)}/{self.total}"
        return f"{self.phase}: {self.done}" if self.done else f"{self.phase}..."


PROGRESS = Progress()
