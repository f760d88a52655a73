"""Cold-start probe, step 3: spectral-feature variants (kNN k, dimensions, k-means restarts) for TypiClust (results/cold_start.md)."""
import sys
import time

import faiss
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

sys.path.insert(0, "/work/main")
from tfal.lp import features as lpf
from tfal.lp import graph as lpg

truth = np.load("/tmp/probe/truth.npy"); pix = np.load("/tmp/probe/pix.npy"); init=np.load("/tmp/probe/init_emb.npy")
n = len(truth)
def spectral(f, k=10, dim=20, gamma=1.0):
    w = lpg.knn_graph(f, k=k, gamma=gamma)
    d = np.asarray(w.sum(1)).ravel(); dm = sp.diags(1/np.sqrt(d))
    vals, vecs = sla.eigsh(dm @ w @ dm, k=dim+1, which="LA", tol=1e-4)
    order = np.argsort(-vals); vecs = vecs[:, order][:, 1:]
    return vecs
def kmeans(f, k, seed, nredo):
    f = np.ascontiguousarray(f, np.float32)
    km = faiss.Kmeans(f.shape[1], k, niter=50, seed=seed, nredo=nredo); km.train(f)
    _, a = km.index.search(f, 1); return a.ravel()
def typiclust(f, b, seed, nredo=1, knn_k=20):
    a = kmeans(f, b, seed, nredo); out = []
    for c in range(b):
        m = np.flatnonzero(a == c)
        if len(m) < 2: continue
        fm = np.ascontiguousarray(f[m], np.float32); kk = min(knn_k, len(m)-1)
        idx = faiss.IndexFlatL2(f.shape[1]); idx.add(fm); dist, _ = idx.search(fm, kk+1)
        out.append(m[np.argmax(1/(np.sqrt(np.maximum(dist[:,1:],0)).mean(1)+1e-12))])
    return np.array(out)
def purity(f, seed):
    a = kmeans(f, 10, seed, 1)
    return sum(np.bincount(truth[a==c]).max() for c in range(10) if (a==c).any())/n
pw = lpf.pca_whiten(pix, dim=50)
for fname, base in (("pixw50", pw), ("initw64", lpf.pca_whiten(init, dim=64))):
  for k in (10, 20):
    for dim in (10, 20, 40):
      t = time.time(); v = spectral(base, k=k, dim=dim); ts = time.time()-t
      for norm in (True,):
        f = v / np.linalg.norm(v, axis=1, keepdims=True) if norm else v
        for nredo in (1, 5):
          cov = [len(set(truth[typiclust(f, 10, s, nredo)])) for s in range(8)]
          print(f"{fname} k={k} dim={dim} norm={norm} nredo={nredo} classes {cov} mean {np.mean(cov):.2f} purity {purity(f,0):.3f} t={ts:.1f}", flush=True)
