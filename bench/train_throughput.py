"""Training throughput: our Trainer (fp32 and bf16 autocast) vs a plain loop written like the lab's, in one run.

The three contenders take turns in short blocks (so machine noise hits them alike) on the same real data (O'Neill's)
and the lab model; the script prints seconds per step (median over blocks) and the ratios to the reference loop.

    python bench/train_throughput.py                    # lab settings (batch 8, sequence 100)
    python bench/train_throughput.py --batch-size 32
    python bench/train_throughput.py --rounds 3 --block 3 --hidden-size 256   # quick look
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from studio.core.configs import preset
from studio.core.corpus import load_corpus
from studio.core.learning.training import Trainer
from studio.core.network.precision import cpu_has_amx


class LabReference:
    """The lab's loop as a student writes it: Embedding + LSTM + Linear, Adam, fp32, random windows."""

    def __init__(self, data: torch.Tensor, vocab: int, embedding: int, hidden: int, batch: int, seq: int, lr: float):
        torch.manual_seed(0)
        self.model = nn.Sequential()
        self.embedding = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, batch_first=True)
        self.dense = nn.Linear(hidden, vocab)
        params = [*self.embedding.parameters(), *self.lstm.parameters(), *self.dense.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=lr)
        self.data, self.batch, self.seq = data, batch, seq

    def train_step(self) -> float:
        starts = torch.randint(0, len(self.data) - self.seq - 1, (self.batch,))
        x = torch.stack([self.data[s : s + self.seq] for s in starts])
        y = torch.stack([self.data[s + 1 : s + self.seq + 1] for s in starts])
        out, _ = self.lstm(self.embedding(x))
        logits = self.dense(out)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seq-length", type=int, default=100)
    parser.add_argument("--hidden-size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--block", type=int, default=5, help="steps per contender per round")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    corpus = load_corpus("oneills1850")
    contenders: dict[str, object] = {}
    for precision in ("fp32", "bf16"):
        model_config, train_config = preset("lab")
        model_config.hidden_size = args.hidden_size
        train_config.batch_size, train_config.seq_length = args.batch_size, args.seq_length
        train_config.precision, train_config.device = precision, "cpu"
        contenders[f"trainer-{precision}"] = Trainer.new(corpus, model_config, train_config)
    trainer = contenders["trainer-fp32"]
    contenders = {
        "lab-reference-fp32": LabReference(trainer.batches.data, len(trainer.vocabulary), 256, args.hidden_size,
                                           args.batch_size, args.seq_length, 5e-3),
        **contenders,
    }
    print(f"batch {args.batch_size} x sequence {args.seq_length}, hidden {args.hidden_size}, "
          f"{torch.get_num_threads()} threads, AMX here: {cpu_has_amx()} (precision auto measures both: "
          "core/network/precision_probe.py)")
    for contender in contenders.values():  # warm-up (allocations, oneDNN kernel selection)
        contender.train_step()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, contender in contenders.items():
            began = time.perf_counter()
            for _ in range(args.block):
                contender.train_step()
            times[name].append((time.perf_counter() - began) / args.block)
    reference = statistics.median(times["lab-reference-fp32"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:20} {median * 1000:8.1f} ms/step   {reference / median:5.2f}x the reference")


if __name__ == "__main__":
    main()
