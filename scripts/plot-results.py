"""Plots the exercise's logs (docs/results/exercise-2nd.jsonl and -3rd.jsonl, written by
`selfnorm exercise`): learning curves of every part of each edition, and the per-layer activation
mean/std against depth at the start and end of training, ELU/He (b) against SELU/LeCun (d) of
the 2nd edition."""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/results")
EDITIONS = ["2nd", "3rd"]


def parts(edition):
    """Each trained part of the edition's exercise log as `{name: events}`, the events shaped as
    `selfnorm train`'s log: `epoch` lines with a `record`, `probe` lines with `stats`."""
    path = OUT / f"exercise-{edition}.jsonl"
    if not path.exists():
        return {}
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    variants = {e["plan"]["part"]: e["plan"]["variant"]["name"] for e in lines if e["event"] == "part-started"}
    runs = {}
    for e in lines:
        if e["event"] != "trained":
            continue
        t = e["train_event"]
        name = f"({e['part']}) {variants.get(e['part'], '')}"
        if t["kind"] == "epoch-ended":
            runs.setdefault(name, []).append({"event": "epoch", "record": t["summary"]["record"]})
        elif t["kind"] == "probed":
            runs.setdefault(name, []).append({"event": "probe", **t["probe"]})
    return runs


def learning_curves(edition, runs):
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
    fig.suptitle(f"Exercise 8, {edition} edition: CIFAR-10, 20 × Dense(100) (selfnorm CLI, CPU backend)")
    fig.tight_layout()
    fig.savefig(OUT / f"learning-curves-{edition}.png", dpi=120)


def restored_label(probe):
    """The final probe measures the restored best weights, not those of the last step: say so."""
    best = (probe.get("weights") or {}).get("epoch")
    return f"end: restored best epoch {best}" if best else f"end (epoch {probe['epoch']:.0f})"


def layer_stats(runs):
    pairs = [name for name in ("(b) elu-he", "(d) selu-lecun") if name in runs]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=False)
    for name, style in zip(pairs, ["-", "-"]):
        probes = [e for e in runs[name] if e["event"] == "probe"]
        for probe, when, alpha in ((probes[0], "at initialization", 0.45), (probes[-1], None, 1.0)):
            stats = probe["stats"]
            depth = range(1, len(stats["act_mean"]) + 1)
            label = f"{name}, {when or restored_label(probe)}"
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
    editions = {edition: runs for edition in EDITIONS if (runs := parts(edition))}
    if not editions:
        sys.exit(f"no exercise logs in {OUT}; run scripts/results exercise 2 (or 3) first")
    for edition, runs in editions.items():
        learning_curves(edition, runs)
    if "2nd" in editions:
        layer_stats(editions["2nd"])
    print(f"wrote learning-curves-{{{','.join(editions)}}}.png and layer-stats.png in {OUT}")


if __name__ == "__main__":
    main()
