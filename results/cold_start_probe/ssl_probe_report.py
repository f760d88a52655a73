"""Tables of /work/probe_ssl/results.jsonl (ssl_probe.py, ssl_probe_baseline.py) in markdown."""
import collections
import json

import numpy as np

rows = [json.loads(l) for l in open("/work/probe_ssl/results.jsonl")]
by = collections.OrderedDict()
for r in rows:
    if r["name"].startswith("t_"):
        continue
    by.setdefault(r["name"], {})[r["seed"]] = r  # last run of a seed wins


def f(v, pct=True):
    return "-" if v is None else (f"{100 * v:.1f}" if pct else f"{v:g}")


out = []
for name, seeds in by.items():
    out.append(f"\n### {name}\n")
    feats = [k for k in ("penult", "softmax", "sharp", "spectral") if k in next(iter(seeds.values()))]
    head = ["seed", "train s", "epochs", "(a) Hungarian acc %"]
    for k in feats:
        head += [f"(b) {k} classes", f"(c) {k} LP acc %", f"(c) {k} head-map acc %"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    cols = collections.defaultdict(list)
    for s in sorted(seeds):
        r = seeds[s]
        vals = [r.get("train_s", r.get("feat_s")), r.get("epochs_done"), r.get("hungarian_acc")]
        for k in feats:
            vals += [r[k]["covered"], r[k]["lp_acc"], r[k].get("head_map_acc")]
        for i, v in enumerate(vals):
            cols[i].append(v)
        out.append("| " + " | ".join([str(s)] + [
            f(v, pct=isinstance(v, float) and v <= 1.0 and i not in (0,)) if not (i == 0) else f"{v:.0f}"
            for i, v in enumerate(vals)]) + " |")
    means = []
    for i in range(len(cols)):
        v = [c for c in cols[i] if c is not None]
        if not v:
            means.append("-")
        elif i == 0:
            means.append(f"{np.mean(v):.0f}")
        elif isinstance(v[0], float) and v[0] <= 1.0:
            means.append(f"{100 * np.mean(v):.1f}")
        else:
            means.append(f"{np.mean(v):.2f}")
    out.append("| **mean** | " + " | ".join(means) + " |")
print("\n".join(out))
