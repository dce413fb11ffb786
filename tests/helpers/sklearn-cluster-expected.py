# Writes tests/helpers/sklearn-cluster-expected.js: fixed data and what
# scikit-learn computes on it, for tests/unit/cluster-sklearn.test.js. Not run by
# `npm test` (no Python at test time); kept so anyone can regenerate the numbers:
#
#   apt-get install -y python3-sklearn          # Debian 12: scikit-learn 1.2.1, numpy 1.24
#   /usr/bin/python3 tests/helpers/sklearn-cluster-expected.py
#
# Every case is deterministic in scikit-learn (explicit initial centres or
# parameters, no random draws that matter), so manytask can be held to it
# although their random generators differ.
#
# The data are chosen so that manytask's float32 storage and centring lose
# nothing: values on a 1/256 grid (exact in float32), 128 = 2⁷ rows mirrored
# about a point on that grid, so the column means (Σ·(1/n)) and the centred
# values are exact too. scikit-learn gets the same numbers as float64.

import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

rng = np.random.RandomState(20240607)
GRID = 256.0


def on_grid(a):
    return np.round(np.asarray(a) * GRID) / GRID


# 4 blobs of 16 rows in 3-D, mirrored about CENTRE: 128 rows.
CENTRE = np.array([1.5, -2.25, 0.75])
blob_means = np.array([[4.0, 1.0, 0.0], [0.0, -3.0, 2.0], [-3.0, 2.0, -1.0], [2.0, -1.0, 5.0]])
half = np.vstack([m + rng.normal(0, 0.7, (16, 3)) for m in blob_means])
half = on_grid(half)
X = np.vstack([half, 2 * CENTRE - half])
X = X[rng.permutation(len(X))]
assert np.all(X.mean(axis=0) == CENTRE)

# Other rows for predict/score (not the training rows).
X2 = on_grid(np.vstack([m + rng.normal(0, 1.0, (6, 3)) for m in blob_means] + [rng.uniform(-6, 6, (8, 3))]))

# Dyadic weights (exact sums), some zero.
W = rng.choice([0.0, 0.25, 0.5, 1.0, 1.5, 2.75], size=len(X))
W2 = rng.choice([0.0, 0.5, 1.0, 3.0], size=len(X2))
# Integer weights: a weight of m stands for m copies of the row.
WI = rng.choice([0, 1, 2, 3], size=len(X))
WI2 = rng.choice([0, 1, 2], size=len(X2))

out = {
    'sklearn': sklearn.__version__, 'numpy': np.__version__,
    'X': X.tolist(), 'X2': X2.tolist(), 'W': W.tolist(), 'W2': W2.tolist(), 'WI': WI.tolist(), 'WI2': WI2.tolist(),
}

# --- KMeans: weighted Lloyd from given centres ---------------------------------
INIT = X[[0, 1, 2, 5]]  # four rows, not one per blob: several iterations
out['kmeansInit'] = INIT.tolist()
km = {}
for name, w in [('unweighted', None), ('weighted', W)]:
    m = KMeans(n_clusters=4, init=INIT, n_init=1, max_iter=300, tol=1e-4).fit(X, sample_weight=w)
    km[name] = {
        'centers': m.cluster_centers_.tolist(), 'labels': m.labels_.tolist(), 'inertia': float(m.inertia_),
        'nIter': int(m.n_iter_), 'predictX2': m.predict(X2).tolist(),
        'scoreX2': float(m.score(X2)), 'scoreX2Weighted': float(m.score(X2, sample_weight=W2)),
    }
out['kmeans'] = km

# Explicit centres with n_init = 3: one run, and a RuntimeWarning.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    m = KMeans(n_clusters=4, init=INIT, n_init=3).fit(X)
assert any(issubclass(c.category, RuntimeWarning) and 'one init' in str(c.message) for c in caught)
assert m.cluster_centers_.tolist() == km['unweighted']['centers']

# More clusters than distinct points: 3 distinct points, k = 5; fits, warns.
X3 = np.array([[0.0, 0.0], [0.0, 0.0], [4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 3.0], [0.0, 0.0], [4.0, 0.0]])
INIT3 = np.array([[0.0, 0.5], [4.0, 0.5], [1.0, 2.0], [9.0, 9.0], [-9.0, -9.0]])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    m = KMeans(n_clusters=5, init=INIT3, n_init=1).fit(X3)
assert any(issubclass(c.category, ConvergenceWarning) and 'distinct clusters' in str(c.message) for c in caught)
out['fewer'] = {
    'X': X3.tolist(), 'init': INIT3.tolist(), 'centers': m.cluster_centers_.tolist(), 'labels': m.labels_.tolist(),
    'inertia': float(m.inertia_), 'nIter': int(m.n_iter_),
}

# --- MiniBatchKMeans: weighted partial_fit from given centres -------------------
mb = MiniBatchKMeans(n_clusters=4, init=INIT, n_init=1, batch_size=32)
steps = []
for s in range(0, 128, 32):
    mb.partial_fit(X[s:s + 32], sample_weight=W[s:s + 32])
    steps.append({
        'centers': mb.cluster_centers_.tolist(), 'counts': mb._counts.tolist(),
        'labels': mb.labels_.tolist(), 'inertia': float(mb.inertia_),
    })
# No centre was reassigned (else scikit-learn's random draw would decide where it went).
assert min(steps[-1]['counts']) > 0.01 * max(steps[-1]['counts'])
out['minibatch'] = steps

# --- GaussianMixture from given parameters ---------------------------------------
K = 4
WEIGHTS_INIT = np.array([0.25, 0.25, 0.25, 0.25])
MEANS_INIT = X[[3, 7, 11, 13]]
A = np.array([[1.0, 0.3, -0.2], [0.3, 1.5, 0.1], [-0.2, 0.1, 0.8]])
PREC = {
    'full': np.array([np.linalg.inv(A * s) for s in (0.5, 1.0, 1.5, 2.0)]),
    'tied': np.linalg.inv(A),
    'diag': np.array([[1.0, 2.0, 0.5], [0.7, 0.7, 0.7], [1.5, 1.0, 2.0], [0.4, 1.0, 1.0]]),
    'spherical': np.array([0.5, 1.0, 2.0, 0.8]),
}
out['gmmInit'] = {'weights': WEIGHTS_INIT.tolist(), 'means': MEANS_INIT.tolist(),
                  'precisions': {t: p.tolist() for t, p in PREC.items()}}


def gmm_result(g, x2):
    return {
        'weights': g.weights_.tolist(), 'means': g.means_.tolist(), 'covariances': g.covariances_.tolist(),
        'precisions': g.precisions_.tolist(), 'precisionsCholesky': g.precisions_cholesky_.tolist(),
        'lowerBound': float(g.lower_bound_), 'nIter': int(g.n_iter_), 'converged': bool(g.converged_),
        'scoreSamplesX2': g.score_samples(x2).tolist(), 'probaX2': g.predict_proba(x2).tolist(),
        'predictX2': g.predict(x2).tolist(), 'scoreX2': float(g.score(x2)), 'bicX2': float(g.bic(x2)),
        'aicX2': float(g.aic(x2)),
    }


gmm = {}
for t in ('full', 'tied', 'diag', 'spherical'):
    g = GaussianMixture(n_components=K, covariance_type=t, weights_init=WEIGHTS_INIT, means_init=MEANS_INIT,
                        precisions_init=PREC[t], max_iter=100, tol=1e-3)
    labels = g.fit_predict(X)
    r = gmm_result(g, X2)
    r['fitPredict'] = labels.tolist()
    gmm[t] = r
out['gmm'] = gmm

# warm_start: two fits of 2 EM steps each continue one another.
with warnings.catch_warnings():
    warnings.simplefilter('ignore', ConvergenceWarning)
    g = GaussianMixture(n_components=K, covariance_type='full', weights_init=WEIGHTS_INIT, means_init=MEANS_INIT,
                        precisions_init=PREC['full'], max_iter=2, warm_start=True)
    g.fit(X)
    first = {'lowerBound': float(g.lower_bound_), 'nIter': int(g.n_iter_), 'converged': bool(g.converged_)}
    g.fit(X)
out['warmStart'] = {'first': first, 'second': gmm_result(g, X2)}

# Integer sample weights = repeated rows (scikit-learn's GaussianMixture has no
# sample_weight; manytask's is defined so that these agree).
XR = np.repeat(X, WI, axis=0)
X2R = np.repeat(X2, WI2, axis=0)
rep = {}
for t in ('full', 'tied'):
    g = GaussianMixture(n_components=K, covariance_type=t, weights_init=WEIGHTS_INIT, means_init=MEANS_INIT,
                        precisions_init=PREC[t], max_iter=100, tol=1e-3).fit(XR)
    rep[t] = gmm_result(g, X2)
    rep[t]['scoreX2Repeated'] = float(g.score(X2R))
out['gmmRepeated'] = rep

with open(sys.argv[1] if len(sys.argv) > 1 else 'tests/helpers/sklearn-cluster-expected.js', 'w') as f:
    f.write('// Generated by tests/helpers/sklearn-cluster-expected.py (scikit-learn %s, numpy %s);\n'
            '// do not edit: change the script and run it again.\n' % (sklearn.__version__, np.__version__))
    f.write('export const expected = ')
    json.dump(out, f, indent=None, separators=(',', ':'))
    f.write(';\n')
