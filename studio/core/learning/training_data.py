"""What each training step reads, by ``TrainConfig.context``, and where each process is in its reading.

Windows and streams are of the vocabulary's units: characters, or tokens (``TrainConfig.units``), each with its bar
clock for a network that reads one (:mod:`studio.core.network.network_inputs`).

``window`` (the lab's): random windows of the training text, each read from a zero LSTM state. ``stream``: each batch
row reads its own shuffled stream of whole tunes (:class:`studio.core.learning.tune_streams.TuneStreams`) and starts from the
state the previous step left (detached), zeroed where its stream starts over. :meth:`TrainingBatches.state_dict` is
one process's position (window generator, torch's RNG for dropout, stream position, carried state): a checkpoint
keeps one per rank, so a resumed run reads on exactly where it stopped and gives the same loss curve.
"""

from __future__ import annotations

import torch

from studio.core.configs import TrainConfig
from studio.core.learning.tune_streams import TuneStreams, carried_state
from studio.core.network.network_inputs import text_inputs, unit_codes
from studio.core.network.vocabulary import Vocabulary
from studio.core.quality.scoring import TUNE_ENDING, windows_at


class TrainingBatches:
    """The batches of one training process (``rank``) over ``tunes`` (the training tunes, augmented copies included)."""

    def __init__(self, tunes, vocabulary: Vocabulary, config: TrainConfig, rank: int = 0, clock: str = "none"):
        # each tune ends with its blank line, as in the training text (``join_tunes``); coded tune by tune, so a
        # stream knows each tune's length in units (characters or tokens)
        codes = [text_inputs(tune.text + TUNE_ENDING, vocabulary, clock) for tune in tunes]
        self.data = torch.tensor([code for tune in codes for code in tune], dtype=torch.long)
        if len(self.data) < 3:
            raise ValueError("the training text is too short")
        self.window = min(config.seq_length, len(self.data) - 2)
        self.rows = config.batch_size
        # each process draws its own windows and streams; rank 0 draws exactly what a single process would
        self.rng = torch.Generator().manual_seed(config.seed + 7919 * rank)
        self.streams = None
        if config.context == "stream":
            lengths = [len(tune) for tune in codes]
            self.streams = TuneStreams(self.data, lengths, self.rows, self.window, config.seed, rank)
        self.carried: tuple[torch.Tensor, torch.Tensor] | None = None

    def next_batch(self, device: torch.device):
        """(inputs, targets, the LSTM state to start from: None for a zero state) for one step."""
        if self.streams is None:
            high = len(self.data) - self.window - 1
            starts = torch.randint(0, high + 1, (self.rows,), generator=self.rng)
            inputs, targets = windows_at(self.data, starts, self.window)
            return inputs.to(device), unit_codes(targets).to(device), None
        inputs, targets, reset = self.streams.next_batch()
        return inputs.to(device), unit_codes(targets).to(device), carried_state(self.carried, reset)

    def carry(self, state) -> None:
        """Keeps the state a step ended with (detached: truncated backpropagation) for the next step of the stream."""
        if self.streams is not None:
            self.carried = tuple(s.detach().float() for s in state)

    def state_dict(self) -> dict:
        """This process's reading position (CPU tensors and plain lists)."""
        state = {"rng": self.rng.get_state(), "torch_rng": torch.get_rng_state()}
        if self.streams is not None:
            state["streams"] = self.streams.state_dict()
            state["carried"] = None if self.carried is None else [s.cpu() for s in self.carried]
        return state

    def restore(self, rank_states: list[dict] | None, rng_state: torch.Tensor | None, rank: int,
                device: torch.device) -> None:
        """Continues from a checkpoint's ``rank_states`` (this ``rank``'s entry; a rank the checkpoint did not have
        reads its streams from rank 0's position with a zero state), or from an older checkpoint's ``rng_state``
        (rank 0's window generator: other ranks keep their own)."""
        if not rank_states:
            if rng_state is not None and rank == 0:
                self.rng.set_state(rng_state)
            return
        mine = rank_states[rank] if rank < len(rank_states) else {"streams": rank_states[0].get("streams")}
        if "rng" in mine:
            self.rng.set_state(mine["rng"])
            torch.set_rng_state(mine["torch_rng"])
        if self.streams is not None and mine.get("streams"):
            self.streams.load_state_dict(mine["streams"])
            carried = mine.get("carried")
            self.carried = None if carried is None else tuple(s.to(device) for s in carried)
