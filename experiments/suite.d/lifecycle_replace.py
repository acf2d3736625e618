"""lifecycle_replace: a dead follower replaced under a steady write load (ADD-NODE, --join,
promotion, REMOVE-NODE): time of each step and writes/s (experiments/lifecycle --part replace,
build/lifecycle-in-sim --experiment replace)."""

from plotting import figure, save
from summary import Outcome, fmt, number, read_csv, write_csv

HEADER = ["mode", "writes_per_s", "add_committed_s", "caught_up_s", "voter_s",
          "remove_committed_s", "writes_ok", "writes_failed", "writes_refused_copying",
          "ok_per_s_during", "ok_per_s_before"]
STEPS = (("add_committed_s", "ADD-NODE committed"), ("caught_up_s", "new node serves all"),
         ("voter_s", "new node voter"), ("remove_committed_s", "REMOVE-NODE committed"))


def summarize(ctx) -> Outcome:
    rows, rates = [], {}
    for mode in ("sim", "real"):
        for r in read_csv(ctx.raw_file(mode, "lifecycle_replace.csv")):
            r["mode"] = mode
            rows.append(r)
        series = read_csv(ctx.raw_file(mode, "lifecycle_replace_rate.csv"))
        if series:
            rates[mode] = [(number(r["second"]), number(r["ok"])) for r in series]
    out = Outcome(csv=write_csv(ctx.out / "lifecycle_replace.csv", HEADER, rows))
    if not rows:
        out.notes.append("no replace results (see the steps' logs)")
        return out
    fig, axes = figure(1, 2, width=11, height=4)
    modes = [r["mode"] for r in rows]
    width = 0.8 / len(modes)
    for k, r in enumerate(rows):
        axes[0][0].bar([i + k * width for i in range(len(STEPS))],
                       [number(r[c]) for c, _ in STEPS], width=width, label=r["mode"])
    axes[0][0].set_xticks([i + width * (len(modes) - 1) / 2 for i in range(len(STEPS))])
    axes[0][0].set_xticklabels([label for _, label in STEPS], rotation=15)
    axes[0][0].set_title("seconds after the follower died (sim: simulated)")
    for mode, series in sorted(rates.items()):
        axes[0][1].plot([s for s, _ in series], [v for _, v in series], label=mode,
                        linestyle="--" if mode == "sim" else "-")
    for r in rows:
        axes[0][1].axvline(number(r["remove_committed_s"]), color="grey", alpha=0.4,
                           linestyle=":" if r["mode"] == "sim" else "-")
    axes[0][1].axvline(0, color="red", alpha=0.5, label="follower killed")
    axes[0][1].set_title("writes committed per second (grey: REMOVE-NODE committed)")
    axes[0][1].set_xlabel("seconds since the kill")
    for ax in axes[0]:
        ax.legend()
    out.pngs.append(save(fig, ctx.out / "lifecycle_replace.png"))
    parts = []
    for r in rows:
        out.headline.append((f"{r['mode']}: new node voter / REMOVE-NODE committed after (s)",
                             f"{fmt(number(r['voter_s']), 2)} / "
                             f"{fmt(number(r['remove_committed_s']), 2)}"))
        out.headline.append((f"{r['mode']}: writes/s before / during; failed writes",
                             f"{fmt(number(r['ok_per_s_before']), 1)} / "
                             f"{fmt(number(r['ok_per_s_during']), 1)}; {r['writes_failed']}"))
        parts.append(f"{r['mode']}: ADD-NODE committed {fmt(number(r['add_committed_s']), 2)} s "
                     f"after the kill, the new node served everything after "
                     f"{fmt(number(r['caught_up_s']), 2)} s, was a voter after "
                     f"{fmt(number(r['voter_s']), 2)} s and REMOVE-NODE committed after "
                     f"{fmt(number(r['remove_committed_s']), 2)} s, with "
                     f"{fmt(number(r['ok_per_s_during']), 1)} writes/s committed meanwhile "
                     f"({fmt(number(r['ok_per_s_before']), 1)} before)")
    real = [r for r in rows if r["mode"] == "real"]
    if real:
        out.summary = ("replace a dead node under load: REMOVE-NODE committed after (s)",
                       fmt(number(real[0]["remove_committed_s"]), 2))
    out.reading = ("Replacing a member under load, add first then remove, keeps the write quorum "
                   "throughout. " + "; ".join(parts) + ". The simulated load is Poisson over "
                   "every running node: writes given to the dead node get no reply and the few "
                   "given to the new node while it starts time out (writes_failed); the real "
                   "load goes round robin over the live members only.")
    return out
