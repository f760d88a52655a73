"""Cold-start probe, step 1: the initial network's pool embedding and the pixels, saved to /tmp/probe (results/cold_start.md)."""
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, "/work/main")
from tfal import campaign
from tfal.loop import ActiveLearningLoop
from tfal.lp import features as lpf

campaign.parse_gin(["gin_configs/mnist_1label_cpu.gin", "gin_configs/setting/semi.gin"], ["ActiveLearningLoop.seed = 0"])
with tempfile.TemporaryDirectory() as d:
    loop = ActiveLearningLoop(d)
    truth = loop.oracle.true_labels_for_diagnostics()
    x = loop.data.x_pool
    t = time.time()
    loop.trainer.reset(None)
    init_emb = loop.model.predict_pool("pool")["embedding"]
    print("init emb", init_emb.shape, time.time() - t, flush=True)
np.save("/tmp/probe/init_emb.npy", init_emb); np.save("/tmp/probe/truth.npy", truth)
pix = lpf.flat_pixels(x)
np.save("/tmp/probe/pix.npy", pix)
