"""Plots docs/results/*.jsonl (the CLI's logs): learning curves of every variant, and the
per-layer activation mean/std against depth at the start and end of training (ELU/He vs SELU)."""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/results")
VARIANTS = ["elu-he", "elu-he-bn", "selu-lecun", "selu-alpha-dropout", "one-cycle"]


def events(name):
    path = OUT / f"{name}.jsonl"
    if not path.exists():
        return None
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def learning_curves(runs):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, evs in runs.items():
        epochs = [e["record"] for e in evs if e["event"] == "epoch"]
        x = [r["epoch"] for r in epochs]
        (line,) = axes[0].plot(x, [r["val_loss"] for r in epochs], label=f"{name} valid")
        axes[0].plot(x, [r["train_loss"] for r in epochs], "--", color=line.get_color(), alpha=0.6, label=f"{name} train")
        axes[1].plot(x, [100 * r["val_accuracy"] for r in epochs], color=line.get_color(), label=name)
    axes[0].set(title="Loss (solid: validation, dashed: training)", xlabel="epoch", ylabel="cross-entropy")
    axes[1].set(title="Validation accuracy", xlabel="epoch", ylabel="%")
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle("CIFAR-10, 20 × Dense(100), Nadam, batch 32 (selfnorm CLI, CPU backend)")
    fig.tight_layout()
    fig.savefig(OUT / "learning-curves.png", dpi=120)


def restored_label(events, probe):
    """The final probe measures the restored best weights, not those of the last step: say so.
    Logs written before probes carried `weights` take the best epoch from their `end` line."""
    weights = probe.get("weights") or {}
    best = weights.get("epoch") or next((e["best_epoch"] for e in events if e["event"] == "end"), None)
    return f"end: restored best epoch {best}" if best else f"end (epoch {probe['epoch']:.0f})"


def layer_stats(runs):
    pairs = [name for name in ("elu-he", "selu-lecun") if name in runs]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=False)
    for name, style in zip(pairs, ["-", "-"]):
        probes = [e for e in runs[name] if e["event"] == "probe"]
        for probe, when, alpha in ((probes[0], "at initialization", 0.45), (probes[-1], None, 1.0)):
            stats = probe["stats"]
            depth = range(1, len(stats["act_mean"]) + 1)
            label = f"{name}, {when or restored_label(runs[name], probe)}"
            axes[0].plot(depth, stats["act_mean"], style, marker="o", ms=3, alpha=alpha, label=label)
            axes[1].plot(depth, stats["act_std"], style, marker="o", ms=3, alpha=alpha, label=label)
    axes[0].axhline(0, color="k", lw=0.8)
    axes[1].axhline(1, color="k", lw=0.8)
    axes[0].set(title="Activation mean per hidden layer", xlabel="layer", ylabel="mean")
    axes[1].set(title="Activation std per hidden layer", xlabel="layer", ylabel="std")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Self-normalization on real data: probe batch of 256 validation images")
    fig.tight_layout()
    fig.savefig(OUT / "layer-stats.png", dpi=120)


def main():
    runs = {name: evs for name in VARIANTS if (evs := events(name))}
    if not runs:
        sys.exit(f"no logs in {OUT}; run scripts/results train VARIANT first")
    learning_curves(runs)
    layer_stats(runs)
    print(f"wrote {OUT / 'learning-curves.png'} and {OUT / 'layer-stats.png'}")


if __name__ == "__main__":
    main()
