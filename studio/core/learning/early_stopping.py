"""Early stopping: a run ends once its held-out score has stopped improving.

``TrainConfig.early_stop_patience`` counts validations: after that many in a row without a new best held-out loss
the run ends as ``stopped early`` with the reason (:meth:`EarlyStopping.reason`), and its best checkpoint (written at
its best validation) is the one the studio loads. 0 turns the rule off. The count and the best step travel in every
checkpoint's metrics (:meth:`EarlyStopping.to_metrics`), so a resumed run (after a stop or a kill) counts on from
where its checkpoint was, as if it had never been interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass

#: ``TrainingResult.reason`` and the run's status when the rule ended it.
STOPPED_EARLY = "stopped early"
#: The reasons of a run that trained to its end: its last step, or the rule's (its model is ready to judge).
COMPLETED_REASONS = ("finished", STOPPED_EARLY)


@dataclass
class EarlyStopping:
    """The rule's state: validations since the best one (``since_best``) and the best one's step."""

    patience: int
    since_best: int = 0
    best_step: int | None = None

    @classmethod
    def from_metrics(cls, patience: int, metrics: dict) -> "EarlyStopping":
        """The state a checkpoint's metrics recorded (a checkpoint from before the rule: counting from zero)."""
        return cls(patience, int(metrics.get("validations_since_best") or 0), metrics.get("best_step"))

    def to_metrics(self) -> dict:
        return {"validations_since_best": self.since_best, "best_step": self.best_step}

    def observe(self, step: int, improved: bool) -> None:
        """One validation at ``step``: a new best held-out loss (``improved``) or not."""
        if improved:
            self.since_best, self.best_step = 0, step
        else:
            self.since_best += 1

    @property
    def exhausted(self) -> bool:
        """True when the run should end: the rule is on and its patience has run out."""
        return self.patience > 0 and self.since_best >= self.patience

    def reason(self, best_loss: float | None) -> str:
        """Why the run ended, for the person (the run's ``run.json``, the CLI, the Train tab)."""
        best = "" if best_loss is None or self.best_step is None else \
            f" (best {best_loss:.4f} nats/char at step {self.best_step:,})"
        return (f"the held-out loss did not improve for {self.since_best} validation"
                f"{'s' if self.since_best != 1 else ''} in a row{best}: the best checkpoint is kept")
