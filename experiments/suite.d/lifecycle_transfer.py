"""lifecycle_transfer: a 4th node added with ADD-NODE and started with --join after a zone of N
records: time until it serves every record and bytes of its datastore copy, real and simulated
(experiments/lifecycle --part transfer, build/lifecycle-in-sim --experiment transfer)."""

from plotting import figure, save
from summary import Outcome, fmt, number, read_csv, write_csv

HEADER = ["mode", "records", "import_s", "add_committed_s", "serves_all_s", "voter_s",
          "transfer_bytes"]
STYLE = {"real": {"marker": "o"}, "sim": {"marker": "s", "linestyle": "--"}}


def summarize(ctx) -> Outcome:
    rows = []
    for mode in ("sim", "real"):
        for r in read_csv(ctx.raw_file(mode, "lifecycle_transfer.csv")):
            r["mode"] = mode
            rows.append(r)
    rows.sort(key=lambda r: (r["mode"], number(r["records"])))
    out = Outcome(csv=write_csv(ctx.out / "lifecycle_transfer.csv", HEADER, rows))
    if not rows:
        out.notes.append("no transfer results (see the steps' logs)")
        return out
    fig, axes = figure(1, 2, width=10, height=3.8)
    for mode in ("real", "sim"):
        mine = [r for r in rows if r["mode"] == mode]
        if not mine:
            continue
        x = [number(r["records"]) for r in mine]
        axes[0][0].plot(x, [number(r["serves_all_s"]) for r in mine],
                        label=f"{mode}: serves every record", **STYLE[mode])
        axes[0][0].plot(x, [number(r["voter_s"]) for r in mine], label=f"{mode}: voter",
                        alpha=0.6, **STYLE[mode])
        axes[0][1].plot(x, [number(r["transfer_bytes"]) / 2**20 for r in mine], label=mode,
                        **STYLE[mode])
    axes[0][0].set_title("joiner started -> (s)")
    axes[0][0].set_ylabel("seconds (sim: simulated)")
    axes[0][1].set_title("datastore copy received (MiB)")
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("records in the datastore (log-log)")
        ax.legend()
    out.pngs.append(save(fig, ctx.out / "lifecycle_transfer.png"))
    for r in rows:
        out.headline.append((f"{r['mode']}, {int(number(r['records'])):,} records: serves all / "
                             "voter after (s); copy (MiB)",
                             f"{fmt(number(r['serves_all_s']), 2)} / {fmt(number(r['voter_s']), 2)}"
                             f"; {fmt(number(r['transfer_bytes']) / 2**20, 1)}"))
    real = [r for r in rows if r["mode"] == "real"]
    if real:
        big = real[-1]
        out.summary = (f"joiner, {int(number(big['records'])):,} records: serves all after (s)",
                       fmt(number(big["serves_all_s"]), 2))
    parts = []
    for mode in ("real", "sim"):
        mine = [r for r in rows if r["mode"] == mode]
        if len(mine) >= 1:
            parts.append(f"{mode}: " + ", ".join(
                f"{int(number(r['records'])):,} records {fmt(number(r['serves_all_s']), 2)} s "
                f"({fmt(number(r['transfer_bytes']) / 2**20, 1)} MiB, "
                f"{fmt(number(r['transfer_bytes']) / max(number(r['records']), 1), 0)} B/record)"
                for r in mine))
    out.reading = ("A node added to a settled cluster copies a peer's whole datastore: the copy "
                   "grows linearly with the records, and for real so does the time until the new "
                   "node serves them all. The simulator charges nothing for bandwidth, CPU or "
                   "disk, so its time is only the protocol's rounds (ADD-NODE, the REJOIN "
                   "decision, one request per 1 MiB chunk) and barely grows; its bytes per record "
                   "are lower because its zone has short A-only names. " + "; ".join(parts) + ".")
    if "real" in ctx.raw and not real:
        out.notes.append("the real step gave no rows (see its log)")
    return out
