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

# post-hoc tables (ssl_probe_headfeat.py, ssl_probe_posthoc.py)
import os  # noqa: E402

if os.path.exists("/work/probe_ssl/headfeat.jsonl"):
    hf = collections.OrderedDict()
    for l in open("/work/probe_ssl/headfeat.jsonl"):
        r = json.loads(l)
        hf.setdefault(r["name"], {})[r["seed"]] = r["headfeat"]
    print("\n### head-partitioned features (post hoc): F = l2n([onehot(argmax), 0.3 * l2n(PCA64(penult))])\n")
    print("| run | seed | (b) classes | (c) LP acc % | (c) head-map acc % |\n|---|---|---|---|---|")
    for name, seeds in hf.items():
        for s in sorted(seeds):
            v = seeds[s]
            print(f"| {name} | {s} | {v['covered']} | {100 * v['lp_acc']:.1f} | {100 * v['head_map_acc']:.1f} |")
        print(f"| {name} | **mean** | {np.mean([v['covered'] for v in seeds.values()]):.2f} | "
              f"{100 * np.mean([v['lp_acc'] for v in seeds.values()]):.1f} | "
              f"{100 * np.mean([v['head_map_acc'] for v in seeds.values()]):.1f} |")
if os.path.exists("/work/probe_ssl/posthoc.jsonl"):
    print("\n### TypiClust coverage vs softmax temperature (post hoc, same saved heads)\n")
    print("| run | seed | T=1 | T=0.2 | T=0.1 | T=0.05 |\n|---|---|---|---|---|---|")
    for l in open("/work/probe_ssl/posthoc.jsonl"):
        r = json.loads(l)
        print(f"| {r['name']} | {r['seed']} | " + " | ".join(
            f"{r[k]['covered']} ({r[k]['clusters_hit']} clusters hit)" for k in ("T1", "T0.2", "T0.1", "T0.05")) + " |")
if os.path.exists("/work/probe_ssl/headtypical.jsonl"):
    lpr = {}
    if os.path.exists("/work/probe_ssl/headtypical_lp.jsonl"):
        for l in open("/work/probe_ssl/headtypical_lp.jsonl"):
            r = json.loads(l)
            lpr[(r["name"], r["seed"])] = r
    ht = collections.OrderedDict()
    for l in open("/work/probe_ssl/headtypical.jsonl"):
        r = json.loads(l)
        ht.setdefault(r["name"], {})[r["seed"]] = r
    print("\n### head-cluster TypiClust (post hoc): most typical point (20-NN, l2n(PCA64(penult))) of each of the head's 10 argmax clusters, no k-means\n")
    print("| run | seed | (a) Hungarian acc % | (b) classes | (c) head-map acc % | (c) LP on l2n(softmax) % | (c) LP on l2n(PCA64 penult) % |\n|---|---|---|---|---|---|---|")
    for name, seeds in ht.items():
        cols = collections.defaultdict(list)
        for s in sorted(seeds):
            v = seeds[s]
            a = by[name][s].get("hungarian_acc")
            lr = lpr.get((name, s), {})
            vals = [a, v["covered"], v["head_map_acc"], lr.get("lp_softmax"), lr.get("lp_penult")]
            for i, x in enumerate(vals):
                cols[i].append(x)
            print(f"| {name} | {s} | " + " | ".join(
                "-" if x is None else (str(x) if isinstance(x, int) else f"{100 * x:.1f}") for x in vals) + " |")
        m = []
        for i in range(5):
            v = [x for x in cols[i] if x is not None]
            m.append("-" if not v else (f"{np.mean(v):.2f}" if i == 1 else f"{100 * np.mean(v):.1f}"))
        print(f"| {name} | **mean** | " + " | ".join(m) + " |")
