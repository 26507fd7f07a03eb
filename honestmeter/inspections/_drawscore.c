/* Fast path of the hmac-rank-v1 draw (honestmeter/inspections/draw.py, DESIGN §5).
 *
 * score(label, ids...) = HMAC-SHA256(seed, label || len4(id1) || id1 || ...) read as a big-endian integer, so
 * comparing 32-byte digests with memcmp orders them as those integers. The key (the seed) is absorbed once
 * into the inner and outer SHA-256 states; a score then costs two compressions. The scoring runs without the
 * GIL, split over `threads` POSIX threads. draw.PythonBackend is the same two functions in Python, and the
 * tests hold both to draw.run_reference.
 *
 *   select(key, label, ids, k, threads) -> (indices, digests)
 *       the k ids with the smallest (score(label, id), id), ascending; digests = their 32-byte scores joined.
 *   assign(key, label, cases, inspectors, conflicts, per_case, capacity, threads) -> list
 *       step 5: for each case in order, the per_case inspectors with the smallest
 *       (score(label, case, inspector), inspector) among those below capacity and not paired with the case in
 *       conflicts (a sequence of (case index, inspector index)): a tuple of their indices, or None when fewer
 *       than per_case are eligible.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co.: the low-level API is the cheap one per message */
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST 32
#define MAX_THREADS 64
#define CHUNK_CASES 64 /* cases scored ahead together: loads only rise, so whoever is full now stays full */
#define MIN_PER_THREAD 256

typedef struct {
    SHA256_CTX inner, outer;
} hmac_key;

/* A score: the digest, big-endian, so memcmp orders scores as the integers they stand for. */
typedef struct {
    unsigned char d[DIGEST];
} score_t;

static void hmac_init(hmac_key *hk, const unsigned char *key, size_t keylen) {
    unsigned char block[SHA256_CBLOCK] = {0}, pad[SHA256_CBLOCK];
    if (keylen > SHA256_CBLOCK)
        SHA256(key, keylen, block);
    else
        memcpy(block, key, keylen);
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&hk->inner);
    SHA256_Update(&hk->inner, pad, SHA256_CBLOCK);
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&hk->outer);
    SHA256_Update(&hk->outer, pad, SHA256_CBLOCK);
}

/* HMAC of a || b from the keyed states. (Padding one block by hand for SHA256_Transform measured no faster:
 * the two compressions are the cost, about 60 ns each on this machine.) */
static void hmac2(const hmac_key *hk, const unsigned char *a, size_t alen, const unsigned char *b, size_t blen,
                  score_t *out) {
    SHA256_CTX c = hk->inner;
    SHA256_Update(&c, a, alen);
    SHA256_Update(&c, b, blen);
    SHA256_Final(out->d, &c);
    c = hk->outer;
    SHA256_Update(&c, out->d, DIGEST);
    SHA256_Final(out->d, &c);
}

/* ------------------------------------------------------------------ messages */

/* n messages prefix || len4(id) || id, packed in one buffer; message i spans [offset[i], offset[i + 1]). */
typedef struct {
    unsigned char *buf;
    size_t *offset;
    size_t prefix_len;
    Py_ssize_t n;
} msgs;

static const unsigned char *msg_at(const msgs *m, Py_ssize_t i) { return m->buf + m->offset[i]; }
static size_t msg_len(const msgs *m, Py_ssize_t i) { return m->offset[i + 1] - m->offset[i]; }

static void msgs_free(msgs *m) {
    free(m->buf);
    free(m->offset);
    m->buf = NULL;
    m->offset = NULL;
}

/* From a sequence of str (their UTF-8); -1 with an exception set on error. */
static int msgs_from_seq(msgs *m, PyObject *seq, const unsigned char *prefix, size_t prefix_len) {
    m->buf = NULL;
    m->offset = NULL;
    m->prefix_len = prefix_len;
    PyObject *fast = PySequence_Fast(seq, "IDs must be a sequence of str");
    if (!fast) return -1;
    Py_ssize_t n = m->n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    m->offset = malloc(((size_t)n + 1) * sizeof(size_t));
    if (!m->offset) goto nomem;
    size_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        if (!PyUnicode_Check(items[i])) {
            PyErr_SetString(PyExc_TypeError, "IDs must be str");
            goto fail;
        }
        if (!PyUnicode_AsUTF8AndSize(items[i], &len)) goto fail; /* cached in the str: the copy loop reuses it */
        if ((uint64_t)len > UINT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "an ID is longer than len4 can state");
            goto fail;
        }
        m->offset[i] = total;
        total += prefix_len + 4 + (size_t)len;
    }
    m->offset[n] = total;
    m->buf = malloc(total ? total : 1);
    if (!m->buf) goto nomem;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        const char *utf8 = PyUnicode_AsUTF8AndSize(items[i], &len);
        unsigned char *p = m->buf + m->offset[i];
        if (prefix_len) memcpy(p, prefix, prefix_len); /* prefix may be NULL when empty */
        p += prefix_len;
        p[0] = (unsigned char)((uint64_t)len >> 24);
        p[1] = (unsigned char)((uint64_t)len >> 16);
        p[2] = (unsigned char)((uint64_t)len >> 8);
        p[3] = (unsigned char)len;
        memcpy(p + 4, utf8, (size_t)len);
    }
    Py_DECREF(fast);
    return 0;
nomem:
    PyErr_NoMemory();
fail:
    msgs_free(m);
    Py_DECREF(fast);
    return -1;
}

/* Python's str order on the IDs: code point order is the byte order of their UTF-8. */
static int id_cmp(const msgs *m, Py_ssize_t i, Py_ssize_t j) {
    size_t skip = m->prefix_len + 4, li = msg_len(m, i) - skip, lj = msg_len(m, j) - skip;
    int c = memcmp(msg_at(m, i) + skip, msg_at(m, j) + skip, li < lj ? li : lj);
    if (c) return c;
    return (li > lj) - (li < lj);
}

/* ------------------------------------------------------------------ a parallel for over [0, n) */

typedef void (*range_fn)(void *ctx, Py_ssize_t start, Py_ssize_t end);

typedef struct {
    range_fn fn;
    void *ctx;
    Py_ssize_t start, end;
} range_job;

static void *range_run(void *arg) {
    range_job *job = arg;
    job->fn(job->ctx, job->start, job->end);
    return NULL;
}

/* Splits [0, n) in contiguous ranges, one per thread; the calling thread takes the first. Runs without the GIL. */
static void parallel_for(Py_ssize_t n, int threads, range_fn fn, void *ctx) {
    if (threads > n / MIN_PER_THREAD) threads = (int)(n / MIN_PER_THREAD); /* a thread costs tens of µs */
    if (threads < 1) threads = 1;
    range_job jobs[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++) jobs[t] = (range_job){fn, ctx, n * t / threads, n * (t + 1) / threads};
    for (int t = 1; t < threads; t++) started[t] = pthread_create(&tids[t], NULL, range_run, &jobs[t]) == 0;
    fn(ctx, jobs[0].start, jobs[0].end);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        else
            fn(ctx, jobs[t].start, jobs[t].end); /* no thread to be had: do its share here */
    }
}

static int clamp_threads(int threads) { return threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads; }

/* ------------------------------------------------------------------ select (step 4) */

typedef struct {
    const hmac_key *key;
    const msgs *ids; /* label || len4(id) || id */
    score_t *scores;
} select_ctx;

static void select_range(void *arg, Py_ssize_t start, Py_ssize_t end) {
    select_ctx *c = arg;
    for (Py_ssize_t i = start; i < end; i++) hmac2(c->key, msg_at(c->ids, i), msg_len(c->ids, i), NULL, 0, &c->scores[i]);
}

typedef struct {
    uint64_t hi; /* the digest's first 8 bytes: decides nearly every comparison without touching the scores */
    Py_ssize_t index;
} ranked;

static _Thread_local const select_ctx *sort_ctx; /* qsort has no context argument */

static int ranked_cmp(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
    int c = memcmp(sort_ctx->scores[a->index].d, sort_ctx->scores[b->index].d, DIGEST);
    return c ? c : id_cmp(sort_ctx->ids, a->index, b->index);
}

static uint64_t load_be64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

/* Moves the k smallest of r[0..n) into r[0..k), in any order: quickselect (the keys are uniformly random). */
static void select_smallest(ranked *r, Py_ssize_t n, Py_ssize_t k) {
    Py_ssize_t lo = 0, hi = n - 1;
    while (lo < k && k <= hi) {
        ranked pivot = r[lo + (hi - lo) / 2];
        Py_ssize_t i = lo, j = hi;
        while (i <= j) {
            while (ranked_cmp(&r[i], &pivot) < 0) i++;
            while (ranked_cmp(&r[j], &pivot) > 0) j--;
            if (i <= j) {
                ranked t = r[i];
                r[i++] = r[j];
                r[j--] = t;
            }
        }
        /* r[lo..j] <= pivot <= r[i..hi], anything between equals the pivot */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

static PyObject *draw_select(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer key, label;
    PyObject *ids_obj;
    Py_ssize_t k;
    int threads;
    if (!PyArg_ParseTuple(args, "y*y*Oni", &key, &label, &ids_obj, &k, &threads)) return NULL;
    PyObject *result = NULL, *indices = NULL, *digests = NULL;
    score_t *scores = NULL;
    ranked *r = NULL;
    msgs ids;
    if (msgs_from_seq(&ids, ids_obj, label.buf, (size_t)label.len) < 0) goto release;
    Py_ssize_t n = ids.n;
    if (k < 0 || k > n) {
        PyErr_SetString(PyExc_ValueError, "k must be between 0 and the number of IDs");
        goto done;
    }
    scores = malloc((size_t)(n ? n : 1) * sizeof(score_t));
    r = malloc((size_t)(n ? n : 1) * sizeof(ranked));
    if (!scores || !r) {
        PyErr_NoMemory();
        goto done;
    }
    hmac_key hk;
    hmac_init(&hk, key.buf, (size_t)key.len);
    select_ctx ctx = {&hk, &ids, scores};
    Py_BEGIN_ALLOW_THREADS;
    parallel_for(n, clamp_threads(threads), select_range, &ctx);
    for (Py_ssize_t i = 0; i < n; i++) r[i] = (ranked){load_be64(scores[i].d), i};
    sort_ctx = &ctx;
    select_smallest(r, n, k);
    qsort(r, (size_t)k, sizeof(ranked), ranked_cmp);
    Py_END_ALLOW_THREADS;

    indices = PyList_New(k);
    digests = PyBytes_FromStringAndSize(NULL, k * DIGEST);
    if (!indices || !digests) goto done;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *index = PyLong_FromSsize_t(r[i].index);
        if (!index) goto done;
        PyList_SET_ITEM(indices, i, index);
        memcpy(PyBytes_AS_STRING(digests) + i * DIGEST, scores[r[i].index].d, DIGEST);
    }
    result = PyTuple_Pack(2, indices, digests);
done:
    Py_XDECREF(indices);
    Py_XDECREF(digests);
    free(scores);
    free(r);
    msgs_free(&ids);
release:
    PyBuffer_Release(&key);
    PyBuffer_Release(&label);
    return result;
}

/* ------------------------------------------------------------------ assign (step 5) */

typedef struct {
    const hmac_key *key;
    const msgs *cases;      /* label || len4(uscc) || uscc */
    const msgs *inspectors; /* len4(id) || id */
    const Py_ssize_t *cand; /* the inspectors below capacity when the chunk started */
    Py_ssize_t ncand;
    Py_ssize_t first_case;
    score_t *scores; /* [case in chunk][candidate] */
} assign_ctx;

static void assign_range(void *arg, Py_ssize_t start, Py_ssize_t end) {
    assign_ctx *c = arg;
    for (Py_ssize_t p = start; p < end; p++) {
        Py_ssize_t cs = c->first_case + p / c->ncand, in = c->cand[p % c->ncand];
        hmac2(c->key, msg_at(c->cases, cs), msg_len(c->cases, cs), msg_at(c->inspectors, in),
              msg_len(c->inspectors, in), &c->scores[p]);
    }
}

/* Conflict pairs as lists per case: the inspectors of case i are inspector[start[i] .. start[i + 1]). */
typedef struct {
    Py_ssize_t *start, *inspector;
} conflict_index;

static int conflicts_from_seq(conflict_index *ci, PyObject *seq, Py_ssize_t ncases, Py_ssize_t ninspectors) {
    ci->start = calloc((size_t)ncases + 2, sizeof(Py_ssize_t));
    ci->inspector = NULL;
    PyObject *fast = PySequence_Fast(seq, "conflicts must be a sequence of (case, inspector) pairs");
    if (!fast || !ci->start) goto fail;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(fast);
    Py_ssize_t *pairs = malloc(2 * ((size_t)m + 1) * sizeof(Py_ssize_t));
    ci->inspector = malloc(((size_t)m + 1) * sizeof(Py_ssize_t));
    if (!pairs || !ci->inspector) {
        free(pairs);
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t j = 0; j < m; j++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(fast, j);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "a conflict is a (case index, inspector index) tuple");
            free(pairs);
            goto fail;
        }
        pairs[2 * j] = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0));
        pairs[2 * j + 1] = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if (PyErr_Occurred() || pairs[2 * j] < 0 || pairs[2 * j] >= ncases || pairs[2 * j + 1] < 0 ||
            pairs[2 * j + 1] >= ninspectors) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "a conflict names no case or no inspector");
            free(pairs);
            goto fail;
        }
        ci->start[pairs[2 * j] + 2]++;
    }
    for (Py_ssize_t i = 2; i < ncases + 2; i++) ci->start[i] += ci->start[i - 1];
    for (Py_ssize_t j = 0; j < m; j++) ci->inspector[ci->start[pairs[2 * j] + 1]++] = pairs[2 * j + 1];
    free(pairs);
    Py_DECREF(fast);
    return 0;
fail:
    Py_XDECREF(fast);
    free(ci->start);
    free(ci->inspector);
    ci->start = ci->inspector = NULL;
    if (!PyErr_Occurred()) PyErr_NoMemory();
    return -1;
}

/* Does candidate (score a, inspector ia) rank before (b, ib)? */
static int before(const score_t *a, Py_ssize_t ia, const score_t *b, Py_ssize_t ib, const msgs *inspectors) {
    int c = memcmp(a->d, b->d, DIGEST);
    return c ? c < 0 : id_cmp(inspectors, ia, ib) < 0;
}

typedef struct {
    Py_ssize_t per_case, capacity;
    Py_ssize_t *load, *avail, *cand, *picked;
    unsigned char *blocked;
    score_t *scores;
    Py_ssize_t *assigned; /* ncases * per_case inspector indices, -1 for an unassigned case */
} assign_state;

/* Picks the case's inspectors from the chunk's scores; returns 1 when staffed. */
static int staff_case(assign_state *s, const score_t *row, Py_ssize_t ncand, const msgs *inspectors, Py_ssize_t *out) {
    Py_ssize_t npicked = 0; /* picked[0..npicked): positions in cand, ascending by rank */
    for (Py_ssize_t j = 0; j < ncand; j++) {
        Py_ssize_t in = s->cand[j];
        if (s->blocked[in] || s->load[in] >= s->capacity) continue;
        Py_ssize_t pos = npicked;
        while (pos > 0 && before(&row[j], in, &row[s->picked[pos - 1]], s->cand[s->picked[pos - 1]], inspectors)) pos--;
        if (pos >= s->per_case) continue;
        Py_ssize_t keep = npicked < s->per_case ? npicked : s->per_case - 1;
        memmove(&s->picked[pos + 1], &s->picked[pos], (size_t)(keep - pos) * sizeof(Py_ssize_t));
        s->picked[pos] = j;
        if (npicked < s->per_case) npicked++;
    }
    if (npicked < s->per_case) return 0; /* too few eligible: unassigned, never filled */
    for (Py_ssize_t j = 0; j < s->per_case; j++) out[j] = s->cand[s->picked[j]];
    return 1;
}

static void assign_all(assign_state *s, const hmac_key *hk, const msgs *cases, const msgs *inspectors,
                       const conflict_index *ci, int threads) {
    Py_ssize_t ncases = cases->n, navail = inspectors->n;
    for (Py_ssize_t i = 0; i < navail; i++) s->avail[i] = i;
    for (Py_ssize_t i = 0; i < ncases * s->per_case; i++) s->assigned[i] = -1;
    for (Py_ssize_t first = 0; first < ncases && navail >= s->per_case; first += CHUNK_CASES) {
        Py_ssize_t chunk = ncases - first < CHUNK_CASES ? ncases - first : CHUNK_CASES, ncand = navail;
        memcpy(s->cand, s->avail, (size_t)navail * sizeof(Py_ssize_t));
        assign_ctx ctx = {hk, cases, inspectors, s->cand, ncand, first, s->scores};
        parallel_for(chunk * ncand, threads, assign_range, &ctx);
        /* Once fewer than per_case inspectors have room, no later case can be staffed: all are unassigned. */
        for (Py_ssize_t c = first; c < first + chunk && navail >= s->per_case; c++) {
            for (Py_ssize_t j = ci->start[c]; j < ci->start[c + 1]; j++) s->blocked[ci->inspector[j]] = 1;
            Py_ssize_t *out = &s->assigned[c * s->per_case];
            int staffed = staff_case(s, &s->scores[(c - first) * ncand], ncand, inspectors, out);
            for (Py_ssize_t j = ci->start[c]; j < ci->start[c + 1]; j++) s->blocked[ci->inspector[j]] = 0;
            if (!staffed) continue;
            for (Py_ssize_t j = 0; j < s->per_case; j++) {
                if (++s->load[out[j]] < s->capacity) continue;
                Py_ssize_t w = 0; /* full: drop from avail, keeping its order */
                for (Py_ssize_t a = 0; a < navail; a++)
                    if (s->avail[a] != out[j]) s->avail[w++] = s->avail[a];
                navail = w;
            }
        }
    }
}

static PyObject *assigned_list(const assign_state *s, Py_ssize_t ncases) {
    PyObject *result = PyList_New(ncases);
    for (Py_ssize_t c = 0; result && c < ncases; c++) {
        PyObject *item = Py_None;
        if (s->assigned[c * s->per_case] < 0) {
            Py_INCREF(item);
        } else if ((item = PyTuple_New(s->per_case))) {
            for (Py_ssize_t j = 0; j < s->per_case; j++) {
                PyObject *v = PyLong_FromSsize_t(s->assigned[c * s->per_case + j]);
                if (!v) {
                    Py_CLEAR(item);
                    break;
                }
                PyTuple_SET_ITEM(item, j, v);
            }
        }
        if (!item) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, c, item);
    }
    return result;
}

static PyObject *draw_assign(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer key, label;
    PyObject *cases_obj, *inspectors_obj, *conflicts_obj, *result = NULL;
    assign_state s = {0};
    int threads;
    if (!PyArg_ParseTuple(args, "y*y*OOOnni", &key, &label, &cases_obj, &inspectors_obj, &conflicts_obj, &s.per_case,
                          &s.capacity, &threads))
        return NULL;
    msgs cases = {0}, inspectors = {0};
    conflict_index ci = {0};
    if (s.per_case < 1 || s.capacity < 1) {
        PyErr_SetString(PyExc_ValueError, "per_case and capacity must be positive");
        goto done;
    }
    if (msgs_from_seq(&cases, cases_obj, label.buf, (size_t)label.len) < 0 ||
        msgs_from_seq(&inspectors, inspectors_obj, NULL, 0) < 0 ||
        conflicts_from_seq(&ci, conflicts_obj, cases.n, inspectors.n) < 0)
        goto done;
    size_t nins = (size_t)inspectors.n + 1, ncases = (size_t)cases.n + 1;
    s.load = calloc(nins, sizeof(Py_ssize_t));
    s.avail = malloc(nins * sizeof(Py_ssize_t));
    s.cand = malloc(nins * sizeof(Py_ssize_t));
    s.picked = malloc((size_t)s.per_case * sizeof(Py_ssize_t));
    s.blocked = calloc(nins, 1);
    s.scores = malloc((size_t)CHUNK_CASES * nins * sizeof(score_t));
    s.assigned = malloc(ncases * (size_t)s.per_case * sizeof(Py_ssize_t));
    if (!s.load || !s.avail || !s.cand || !s.picked || !s.blocked || !s.scores || !s.assigned) {
        PyErr_NoMemory();
        goto done;
    }
    hmac_key hk;
    hmac_init(&hk, key.buf, (size_t)key.len);
    Py_BEGIN_ALLOW_THREADS;
    assign_all(&s, &hk, &cases, &inspectors, &ci, clamp_threads(threads));
    Py_END_ALLOW_THREADS;
    result = assigned_list(&s, cases.n);
done:
    msgs_free(&cases);
    msgs_free(&inspectors);
    free(ci.start);
    free(ci.inspector);
    free(s.load);
    free(s.avail);
    free(s.cand);
    free(s.picked);
    free(s.blocked);
    free(s.scores);
    free(s.assigned);
    PyBuffer_Release(&key);
    PyBuffer_Release(&label);
    return result;
}

static PyMethodDef methods[] = {
    {"select", draw_select, METH_VARARGS, "select(key, label, ids, k, threads) -> (indices, digests)"},
    {"assign", draw_assign, METH_VARARGS,
     "assign(key, label, cases, inspectors, conflicts, per_case, capacity, threads) -> list[tuple[int, ...] | None]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_drawscore", .m_doc = "Fast path of the hmac-rank-v1 draw.", .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__drawscore(void) { return PyModule_Create(&module); }
