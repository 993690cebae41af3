#!/usr/bin/env python3
"""PyTorch on the CPU with one thread: the peer of selfnorm's native CPU backend in scripts/bench.

Same workload as `selfnorm bench`: 3072 -> 20 x Dense(100) -> Dense(10), softmax cross-entropy,
Keras-style init (He/LeCun normal, truncated; zero biases; Glorot uniform output), BN (PyTorch
momentum 0.01 = Keras 0.99, eps 1e-3) before the activation, and NAdam with Keras's semantics
(momentum_decay=4e-3, eps=1e-7). Steady-state training samples/s after a warm-up, the loss read
back once per 25 steps; inference samples/s at batch 1,000. One JSON line per setting.

    .venv/bin/python scripts/bench-pytorch.py --variant elu-he --batch 32 --batch 256
"""

import argparse
import json
import math
import time

import torch
from torch import nn
import torch.nn.functional as F

INPUT, CLASSES, DEPTH, WIDTH = 3072, 10, 20, 100
INFER_BATCH = 1000
READBACK_EVERY = 25
POOL = 4  # distinct random batches, cycled through
# The variants' learning rates (crate/src/variants.rs); they do not change the speed.
LR = {"elu-he": 5e-5, "elu-he-bn": 5e-4, "selu-lecun": 7e-4}


def keras_normal_(weight: torch.Tensor, scale: float) -> None:
    """Keras's VarianceScaling(scale, fan_in, truncated_normal): he_normal (2) or lecun_normal (1)."""
    fan_in = weight.shape[1]
    # The standard deviation of a unit normal truncated at +-2: Keras corrects for it.
    std = math.sqrt(scale / fan_in) / 0.87962566103423978
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


def build_model(variant: str) -> nn.Sequential:
    if variant not in LR:
        raise SystemExit(f"unknown variant '{variant}' (expected one of: {', '.join(LR)})")
    selu = variant == "selu-lecun"
    layers: list[nn.Module] = []
    if variant == "elu-he-bn":  # the notebook's (c) normalizes the inputs too
        layers.append(nn.BatchNorm1d(INPUT, momentum=0.01, eps=1e-3))
    fan_in = INPUT
    for _ in range(DEPTH):
        dense = nn.Linear(fan_in, WIDTH)
        keras_normal_(dense.weight, 1.0 if selu else 2.0)
        nn.init.zeros_(dense.bias)
        layers.append(dense)
        if variant == "elu-he-bn":
            layers.append(nn.BatchNorm1d(WIDTH, momentum=0.01, eps=1e-3))
        layers.append(nn.SELU() if selu else nn.ELU())
        fan_in = WIDTH
    output = nn.Linear(WIDTH, CLASSES)
    nn.init.xavier_uniform_(output.weight)
    nn.init.zeros_(output.bias)
    layers.append(output)
    return nn.Sequential(*layers)


def bench(variant: str, batch: int, warmup: int, steps: int, infer_passes: int) -> dict:
    torch.manual_seed(0)
    model = build_model(variant)
    optimizer = torch.optim.NAdam(model.parameters(), lr=LR[variant], betas=(0.9, 0.999), eps=1e-7, momentum_decay=4e-3)
    pool = [(torch.randn(batch, INPUT), torch.randint(0, CLASSES, (batch,))) for _ in range(POOL)]

    def step(i: int, readback: bool) -> None:
        x, y = pool[i % POOL]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if readback and not math.isfinite(loss.item()):
            raise SystemExit(f"non-finite loss in {variant}")

    model.train()
    start = time.perf_counter()
    step(0, True)
    first_step_seconds = time.perf_counter() - start
    for i in range(1, warmup):
        step(i, i % READBACK_EVERY == 0)
    start = time.perf_counter()
    for i in range(1, steps + 1):
        step(warmup + i, i == steps or i % READBACK_EVERY == 0)
    train_samples_per_s = steps * batch / (time.perf_counter() - start)

    model.eval()
    x = torch.randn(INFER_BATCH, INPUT)
    with torch.inference_mode():
        model(x).numpy()
        start = time.perf_counter()
        for _ in range(infer_passes):
            model(x).numpy()
        infer_samples_per_s = infer_passes * INFER_BATCH / (time.perf_counter() - start)
    return {
        "event": "bench",
        "where": "native",
        "system": "pytorch",
        "backend": "cpu",
        "variant": variant,
        "batch": batch,
        "train_samples_per_s": train_samples_per_s,
        "infer_samples_per_s": infer_samples_per_s,
        "first_step_seconds": first_step_seconds,
        "optimizer": "nadam (torch.optim.NAdam, momentum_decay=4e-3, eps=1e-7)",
        "threads": torch.get_num_threads(),
        "warmup_steps": warmup,
        "steps": steps,
        "infer_passes": infer_passes,
        "torch_version": torch.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", action="append", dest="variants")
    parser.add_argument("--batch", action="append", type=int, dest="batches")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--infer-passes", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    for variant in args.variants or list(LR):
        for batch in args.batches or [32, 256]:
            print(json.dumps(bench(variant, batch, args.warmup, args.steps, args.infer_passes)), flush=True)


if __name__ == "__main__":
    main()
