"""Reads experiments/cluster_bench's CSV (experiment,system,case,metric,value rows, the case
being "key=value,..." text) into one dict per case."""

from summary import number, read_csv


def cases(path, experiment: str) -> list:
    """[{system, <case keys>, <metric>: value, ...}] in file order, for one experiment."""
    merged = {}
    for row in read_csv(path):
        if row["experiment"] != experiment:
            continue
        key = (row["system"], row["case"])
        entry = merged.get(key)
        if entry is None:
            entry = {"system": row["system"]}
            for part in row["case"].split(","):
                if "=" in part:
                    k, v = part.split("=", 1)
                    entry[k.strip()] = v.strip()
                elif part.strip():
                    entry[part.strip()] = True
            merged[key] = entry
        entry[row["metric"]] = number(row["value"])
    return list(merged.values())
