"""Cold-start probe: self-supervised clustering features of MNIST's pool for 10 TypiClust picks.

IMSAT (Hu et al., ICML 2017) and variants: a network with a K-way softmax head trained to maximise
mutual information mu*H(mean p) - mean H(p) plus a consistency term (VAT, or KL to augmented
views), IIC-style (joint of p(x), p(aug x)) and SCAN-style (neighbours from pixel space) variants.
Per seed (training seed = k-means seed = s) it measures:
  (a) Hungarian clustering accuracy of the argmax (K == 10),
  (b) digits covered by `tfal.acquisition.typiclust(10)` on the penultimate layer / softmax,
  (c) accuracy on the rest of the pool of `tfal.lp.propagate` from the 10 picks, and of the
      head's clusters mapped to the label of the pick they hold,
  (d) training wall time.

Example:
  nice -n 19 python results/cold_start_probe/ssl_probe.py --name imsat_aug --reg aug --epochs 10
Writes one JSON line per seed to /work/probe_ssl/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, "/work/main")

OUT = "/work/probe_ssl"
POOL = os.path.join(OUT, "mnist_pool.npz")


def load_pool() -> tuple[np.ndarray, np.ndarray]:
    if not os.path.exists(POOL):
        from tfal.data.sources import tfds_dataset

        d = tfds_dataset("mnist", download=False)
        np.savez(POOL, x=d.x_pool, y=d.y_pool)
    z = np.load(POOL)
    return z["x"], z["y"].astype(np.int64)


def knn_eps(xf: np.ndarray, k: int = 10) -> np.ndarray:
    """Distance of each image to its k-th nearest neighbour (pixels in [0, 1]), cached."""
    path = os.path.join(OUT, f"knn{k}_dist.npy")
    if os.path.exists(path):
        return np.load(path)
    import faiss

    index = faiss.IndexFlatL2(xf.shape[1])
    index.add(xf)
    dist, nbr = index.search(xf, k + 1)
    d = np.sqrt(np.maximum(dist[:, k], 0)).astype(np.float32)
    np.save(path, d)
    np.save(os.path.join(OUT, f"knn{k}_idx.npy"), nbr[:, 1:].astype(np.int32))
    return d


# ----------------------------------------------------------------------------------- training


def build_model(arch: str, hidden: list[int], heads: int, seed: int, subheads: int = 1):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    if arch == "mlp":
        inp = keras.Input((784,))
        h = inp
        for w in hidden:
            h = layers.Dense(w, use_bias=False)(h)
            h = layers.BatchNormalization(epsilon=2e-5)(h)
            h = layers.ReLU()(h)
    else:  # small CNN
        inp = keras.Input((784,))
        h = layers.Reshape((28, 28, 1))(inp)
        for f in (32, 64):
            h = layers.Conv2D(f, 3, padding="same", use_bias=False)(h)
            h = layers.BatchNormalization()(h)
            h = layers.ReLU()(h)
            h = layers.MaxPooling2D()(h)
        h = layers.Conv2D(128, 3, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU()(h)
        h = layers.GlobalAveragePooling2D()(h)
        for w in hidden:
            h = layers.Dense(w, use_bias=False)(h)
            h = layers.BatchNormalization()(h)
            h = layers.ReLU()(h)
    logits = layers.Dense(heads * subheads)(h)
    if subheads > 1:
        logits = layers.Reshape((subheads, heads))(logits)
    return keras.Model(inp, [h, logits])


def affine_augment(tf, x, rot_deg, shift, scale):
    """Random rotation / translation / scale of flattened 28x28 images (bilinear)."""
    b = tf.shape(x)[0]
    img = tf.reshape(x, [b, 28, 28, 1])
    th = tf.random.uniform([b], -rot_deg, rot_deg) * (np.pi / 180.0)
    s = tf.random.uniform([b], 1.0 - scale, 1.0 + scale)
    tx = tf.random.uniform([b], -shift, shift)
    ty = tf.random.uniform([b], -shift, shift)
    c = 13.5
    a00 = tf.cos(th) / s
    a01 = tf.sin(th) / s
    a10 = -tf.sin(th) / s
    a11 = tf.cos(th) / s
    a02 = c - a00 * (c + tx) - a01 * (c + ty)
    a12 = c - a10 * (c + tx) - a11 * (c + ty)
    z = tf.zeros([b])
    t = tf.stack([a00, a01, a02, a10, a11, a12, z, z], axis=1)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=img, transforms=t, output_shape=[28, 28], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="CONSTANT",
    )
    return tf.reshape(out, [b, 784])


def train(args, x: np.ndarray, seed: int):
    import tensorflow as tf

    S = args.subheads
    model = build_model(args.arch, [int(w) for w in args.hidden.split(",") if w], args.heads, seed, S)
    if S > 1:  # every loss below sees [B*S, K]: heads folded into the batch, marginals per head
        base = model

        class Folded:
            trainable_variables = base.trainable_variables

            def __call__(self, xb, training):
                h, lg = base(xb, training=training)
                return h, tf.reshape(tf.transpose(lg, [1, 0, 2]), [-1, args.heads])

        model = Folded()
    opt = tf.keras.optimizers.Adam(args.lr)
    X = tf.constant(x)
    eps_all = tf.constant(knn_eps(x) * args.eps_scale) if args.reg == "vat" else None
    nbr = None
    if args.scan_w > 0:
        knn_eps(x)
        nbr = tf.constant(np.load(os.path.join(OUT, "knn10_idx.npy"))[:, : args.scan_k])
    mu, lam = args.mu, args.lam
    EPS = 1e-8

    def info_terms(p):  # p [S*B, K], head-major; mean over heads of each head's terms
        pm = tf.reduce_mean(tf.reshape(p, [S, -1, args.heads]), 1)
        h_marg = -tf.reduce_mean(tf.reduce_sum(pm * tf.math.log(pm + EPS), 1))
        h_cond = -tf.reduce_mean(tf.reduce_sum(p * tf.math.log(p + EPS), 1))
        return h_marg, h_cond

    def kl(p, logit_q):
        return tf.reduce_mean(tf.reduce_sum(p * (tf.math.log(p + EPS) - tf.nn.log_softmax(logit_q)), 1))

    def l2n(d):
        return d / (tf.norm(d, axis=1, keepdims=True) + 1e-12)

    def aug(xb):
        return affine_augment(tf, xb, args.rot, args.shift, args.scale)

    @tf.function(jit_compile=False, reduce_retracing=True)
    def step(idx):
        xb = tf.gather(X, idx)
        with tf.GradientTape() as tape:
            if args.reg == "aug" or args.reg == "iic":
                xa = aug(xb)
                x2 = aug(xb) if args.two_views else xb
                _, la = model(xa, training=True)
                _, l2 = model(x2, training=True)
                pa = tf.nn.softmax(la)
                p2 = tf.nn.softmax(l2)
                if args.reg == "iic":
                    j = tf.matmul(pa, p2, transpose_a=True) / tf.cast(tf.shape(pa)[0], tf.float32)
                    j = (j + tf.transpose(j)) / 2.0
                    j = tf.maximum(j, 1e-7)
                    pi = tf.reduce_sum(j, 1, keepdims=True)
                    pj = tf.reduce_sum(j, 0, keepdims=True)
                    mi = tf.reduce_sum(j * (tf.math.log(j) - args.iic_lamb * tf.math.log(pi) - args.iic_lamb * tf.math.log(pj)))
                    loss = -mi
                    h_marg, h_cond = info_terms(p2)
                else:
                    h_marg, h_cond = info_terms(p2)
                    cons = kl(tf.stop_gradient(p2), la)
                    loss = cons + lam * (h_cond - mu * h_marg)
            else:  # vat
                _, lc = model(xb, training=True)
                pc = tf.nn.softmax(lc)
                p_stop = tf.stop_gradient(pc)
                eps = tf.gather(eps_all, idx)[:, None]
                d = l2n(tf.random.normal(tf.shape(xb)))
                with tf.GradientTape() as t2:
                    t2.watch(d)
                    _, lr_ = model(xb + args.xi * d, training=True)
                    adv = kl(p_stop, lr_)
                g = tf.stop_gradient(l2n(t2.gradient(adv, d)))
                _, la = model(xb + eps * g, training=True)
                cons = kl(p_stop, la)
                if args.aug_w > 0:  # invariance to small affine moves, on top of VAT
                    _, lg_aug = model(aug(xb), training=True)
                    cons += args.aug_w * kl(p_stop, lg_aug)
                h_marg, h_cond = info_terms(pc)
                loss = cons + lam * (h_cond - mu * h_marg)
            if args.scan_w > 0:
                j = tf.random.uniform(tf.shape(idx), 0, args.scan_k, dtype=tf.int32)
                nb = tf.gather_nd(nbr, tf.stack([idx, tf.cast(j, tf.int32)], 1))
                _, ln = model(tf.gather(X, nb), training=True)
                pn = tf.nn.softmax(ln)
                pself = tf.nn.softmax(la) if args.reg != "vat" else pc
                loss += args.scan_w * -tf.reduce_mean(tf.math.log(tf.reduce_sum(pself * pn, 1) + EPS))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss, h_marg, h_cond

    n = x.shape[0]
    rng = np.random.default_rng(seed)
    t0 = time.time()
    steps = n // args.bs
    log = []
    for ep in range(args.epochs):
        perm = rng.permutation(n).astype(np.int32)
        for s in range(steps):
            loss, hm, hc = step(tf.constant(perm[s * args.bs:(s + 1) * args.bs]))
        el = time.time() - t0
        log.append((ep, float(loss), float(hm), float(hc), el))
        print(f"  seed {seed} ep {ep} loss {float(loss):.4f} H(Y) {float(hm):.3f} H(Y|X) {float(hc):.3f} t {el:.0f}s", flush=True)
        if el > args.max_seconds:
            print(f"  stopping: {el:.0f}s > {args.max_seconds}s", flush=True)
            break
    train_s = time.time() - t0
    feats, logits = [], []
    net = base if S > 1 else model
    for s in range(0, n, 2000):
        h, lg = net(X[s:s + 2000], training=False)
        feats.append(h.numpy())
        logits.append(lg.numpy())
    return np.concatenate(feats), np.concatenate(logits), train_s, log, ep + 1


# ---------------------------------------------------------------------------------- evaluation


def hungarian_acc(pred: np.ndarray, y: np.ndarray, k: int) -> float:
    from scipy.optimize import linear_sum_assignment

    c = np.zeros((k, 10))
    np.add.at(c, (pred, y), 1)
    r, col = linear_sum_assignment(-c)
    return float(c[r, col].sum() / len(y))


def l2n(f: np.ndarray) -> np.ndarray:
    return (f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-12)).astype(np.float32)


def reduce_dim(f: np.ndarray, dim: int) -> np.ndarray:
    if f.shape[1] <= dim:
        return f
    f = f - f.mean(0)
    _, _, vt = np.linalg.svd(f[:: max(1, len(f) // 10000)], full_matrices=False)
    return f @ vt[:dim].T


def evaluate_features(F: np.ndarray, y: np.ndarray, seed: int, cluster: np.ndarray | None):
    from tfal.acquisition import typiclust
    from tfal import lp

    picks = typiclust(10, labeled_idx=np.zeros(0, np.int64), features=F, seed=seed)
    covered = len(set(y[picks].tolist()))
    rest = np.ones(len(y), bool)
    rest[picks] = False
    res = lp.propagate(F, picks, y[picks], 10, seed=seed)
    out = {"covered": covered, "lp_acc": float((res.pseudo_labels[rest] == y[rest]).mean()),
           "picks": picks.tolist()}
    if cluster is not None:
        mapping = np.full(cluster.max() + 1, -1)
        for p in picks:  # first pick in a cluster names it
            if mapping[cluster[p]] < 0:
                mapping[cluster[p]] = y[p]
        pred = mapping[cluster]
        out["head_map_acc"] = float((pred[rest] == y[rest]).mean())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--arch", default="mlp", choices=["mlp", "cnn"])
    ap.add_argument("--hidden", default="1200,1200")
    ap.add_argument("--heads", type=int, default=10)
    ap.add_argument("--reg", default="vat", choices=["vat", "aug", "iic"])
    ap.add_argument("--two_views", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--bs", type=int, default=250)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--mu", type=float, default=4.0)
    ap.add_argument("--lam", type=float, default=0.1)
    ap.add_argument("--xi", type=float, default=10.0)
    ap.add_argument("--eps_scale", type=float, default=0.25)
    ap.add_argument("--rot", type=float, default=15.0)
    ap.add_argument("--shift", type=float, default=3.0)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--iic_lamb", type=float, default=1.0)
    ap.add_argument("--scan_w", type=float, default=0.0)
    ap.add_argument("--aug_w", type=float, default=0.0, help="with --reg vat: weight of KL(p(x) || p(affine(x)))")
    ap.add_argument("--scan_k", type=int, default=5)
    ap.add_argument("--subheads", type=int, default=1, help="sub-heads; the one of best IMSAT objective on the pool is used")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--max_seconds", type=float, default=840)
    ap.add_argument("--feat_dim", type=int, default=64, help="PCA dim of the penultimate layer for (b, c)")
    ap.add_argument("--save", type=int, default=0)
    ap.add_argument("--sharp_t", type=float, default=0.2, help="temperature of the sharpened-softmax features")
    args = ap.parse_args()

    x8, y = load_pool()
    x = (x8.reshape(len(x8), -1).astype(np.float32) / 255.0)
    for seed in [int(s) for s in args.seeds.split(",")]:
        h, logits, train_s, log, epochs_done = train(args, x, seed)
        extra = {}
        if args.subheads > 1:  # label-free choice: the sub-head of largest mu*H(Y) - H(Y|X) on the pool
            scores, accs = [], []
            for si in range(args.subheads):
                ps = np.exp(logits[:, si] - logits[:, si].max(1, keepdims=True))
                ps /= ps.sum(1, keepdims=True)
                pm = ps.mean(0)
                scores.append(float(-args.mu * (pm * np.log(pm + 1e-8)).sum() + (ps * np.log(ps + 1e-8)).sum(1).mean()))
                accs.append(hungarian_acc(ps.argmax(1), y, args.heads) if args.heads == 10 else None)
            best = int(np.argmax(scores))
            extra = {"subhead_scores": scores, "subhead_accs": accs, "chosen": best}
            logits = logits[:, best]
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        pred = p.argmax(1)
        row = {"name": args.name, "seed": seed, "args": vars(args), "train_s": round(train_s, 1), **extra,
               "epochs_done": epochs_done, "clusters_used": int(len(np.unique(pred))),
               "cluster_major": [[int(c), int(np.bincount(y[pred == c], minlength=10).argmax()),
                                  int((pred == c).sum())] for c in np.unique(pred)]}
        if args.heads == 10:
            row["hungarian_acc"] = hungarian_acc(pred, y, 10)
        else:
            row["purity"] = float(sum(np.bincount(y[pred == c]).max() for c in np.unique(pred)) / len(y))
        t = time.time()
        row["penult"] = evaluate_features(l2n(reduce_dim(h, args.feat_dim)), y, seed, pred)
        row["softmax"] = evaluate_features(l2n(p), y, seed, pred)
        ps = np.exp((logits - logits.max(1, keepdims=True)) / args.sharp_t)
        row["sharp"] = evaluate_features(l2n(ps / ps.sum(1, keepdims=True)), y, seed, pred)
        row["eval_s"] = round(time.time() - t, 1)
        print(json.dumps({k: v for k, v in row.items() if k != "args"}), flush=True)
        with open(os.path.join(OUT, "results.jsonl"), "a") as f:
            f.write(json.dumps(row) + "\n")
        if args.save:
            np.savez_compressed(os.path.join(OUT, f"feat_{args.name}_s{seed}.npz"), h=h.astype(np.float16), p=p.astype(np.float32))


if __name__ == "__main__":
    main()
