"""Cold-start probe, step 2: TypiClust/ProbCover-style picks on several label-free features; classes covered and LP accuracy (results/cold_start.md)."""
import sys
import time

import faiss
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

sys.path.insert(0, "/work/main")
from tfal import lp
from tfal.lp import features as lpf
from tfal.lp import graph as lpg

truth = np.load("/tmp/probe/truth.npy"); init = np.load("/tmp/probe/init_emb.npy"); pix = np.load("/tmp/probe/pix.npy")
n = len(truth)
def spectral(f, k=10, dim=20):
    t=time.time()
    w = lpg.knn_graph(f, k=k, gamma=1.0)
    d = np.asarray(w.sum(1)).ravel(); dm = sp.diags(1/np.sqrt(d))
    a = dm @ w @ dm
    vals, vecs = sla.eigsh(a, k=dim+1, which="LA", tol=1e-4)
    order = np.argsort(-vals); vecs = vecs[:, order][:, 1:]
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    print("spectral", time.time()-t, vals[order][:5], flush=True)
    return vecs.astype(np.float32)
feats = {
  "pix_pca50w": lpf.pca_whiten(pix, dim=50),
  "init_w": lpf.pca_whiten(init, dim=64),
  "spec_pix": spectral(lpf.pca_whiten(pix, dim=50)),
  "spec_pixraw": spectral(pix),
  "spec_init": spectral(lpf.pca_whiten(init, dim=64)),
}
def kmeans(f, k, seed):
    km = faiss.Kmeans(f.shape[1], k, niter=50, seed=seed, nredo=1, verbose=False); km.train(np.ascontiguousarray(f, np.float32))
    _, a = km.index.search(np.ascontiguousarray(f, np.float32), 1); return a.ravel()
def typiclust(f, b, seed, knn_k=20):
    a = kmeans(f, b, seed); out = []
    for c in range(b):
        m = np.flatnonzero(a == c)
        if len(m) == 0: continue
        fm = np.ascontiguousarray(f[m], np.float32)
        kk = min(knn_k, len(m)-1)
        idx = faiss.IndexFlatL2(f.shape[1]); idx.add(fm); dist, _ = idx.search(fm, kk+1)
        typ = 1.0 / (np.sqrt(np.maximum(dist[:, 1:], 0)).mean(1) + 1e-12)
        out.append(m[np.argmax(typ)])
    return np.array(out)
def probcover(f, b, seed, purity=0.95, K=100):
    f = np.ascontiguousarray(f, np.float32)
    idx = faiss.IndexFlatL2(f.shape[1]); idx.add(f); dist, ids = idx.search(f, K)
    dist = np.sqrt(np.maximum(dist, 0))
    a = kmeans(f, b, seed)  # pseudo-labels for purity
    same = a[ids] == a[:, None]
    # largest delta with >= purity of balls pure
    best = None
    for q in np.linspace(0.02, 0.98, 49):
        delta = np.quantile(dist[:, 1:], q)
        inball = dist <= delta
        pure = np.all(same | ~inball, axis=1).mean()
        if pure >= purity: best = delta
    delta = best if best is not None else np.quantile(dist[:,1:], 0.02)
    inball = dist <= delta
    rows = np.repeat(np.arange(n), K)[inball.ravel()]; cols = ids.ravel()[inball.ravel()]
    g = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, n))
    covered = np.zeros(n, bool); picks = []
    for _ in range(b):
        gain = g @ (~covered).astype(np.float32)
        p = int(np.argmax(gain)); picks.append(p)
        covered[g[p].indices] = True
    return np.array(picks), delta, covered.mean()
def lp_acc(l):
    r = lp.propagate(feats["init_w"], l, truth[l], 10, whiten=False)
    u = np.setdiff1d(np.arange(n), l); return np.mean(r.pseudo_labels[u] == truth[u])
for name, f in feats.items():
    for method in ("typiclust", "probcover"):
        cov, accs = [], []
        for seed in range(5):
            if method == "typiclust": l = typiclust(f, 10, seed); extra = ""
            else: l, delta, c = probcover(f, 10, seed); extra = f"d={delta:.3f} cov={c:.2f}"
            cov.append(len(set(truth[l]))); accs.append(lp_acc(np.sort(l)))
        print(f"{name:12s} {method:10s} classes {cov} LPacc {np.mean(accs):.3f} {extra}", flush=True)
rng = np.random.default_rng(0); cov=[]; accs=[]
for s in range(5):
    l = np.sort(rng.choice(n, 10, replace=False)); cov.append(len(set(truth[l]))); accs.append(lp_acc(l))
print("random classes", cov, "LPacc", np.mean(accs))
