/* The common part of the FIT message-header walk, compiled (analyzer/fit/fast/_walk.py).
 *
 * scan() walks plain definition messages whose layout the walk has already parsed (a hit in
 * its cache of definition bytes) and runs of plain data messages, exactly as the Python loop
 * of _walk._walk_messages does, and stops at the first message it leaves to that loop: a
 * definition not seen before or with developer fields, a compressed-timestamp header, a
 * developer-data message, an undefined local type, a 0-byte field, or anything that would be
 * an error (the Python loop raises it with its message and offset). Definitions are only
 * ever parsed in Python, so the layouts, notes and errors are the Python walk's own.
 *
 * Consecutive data messages of one definition that sit at a regular distance (a definition
 * before every record, as some Suunto watches write) are kept as one run (first body offset,
 * count, stride) instead of one run per message: the same offsets, in the same order.
 *
 * Built at install when a C compiler is there (setup.py, optional); without it the Python
 * walk does all of it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *s_size, *s_bad, *s_gnum, *s_resets_csd, *s_runs;

/* Global message numbers whose messages the Python walk reads one by one. */
#define DEVELOPER_DATA_ID 207
#define FIELD_DESCRIPTION 206

typedef struct {
    PyObject *def;  /* borrowed from the `local` list (or the cache) */
    Py_ssize_t size;
    int usable;     /* a plain data message this scan may take */
    int resets_csd;
    Py_ssize_t key_at, key_len; /* where the definition bytes that gave `def` sit */
} Slot;

/* One definition's run of data messages not yet handed to its `runs` list. */
typedef struct {
    PyObject *def; /* borrowed */
    Py_ssize_t first, count, stride;
} Pending;

#define MAX_PENDING 16
#define MAX_SEEN 16

static int bool_attr(PyObject *d, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(d, name);
    if (v == NULL)
        return -1;
    int r = PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}

static Py_ssize_t int_attr(PyObject *d, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(d, name);
    if (v == NULL)
        return -1;
    Py_ssize_t r = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return r;
}

/* What the walk needs of a definition, read once per scan and slot. */
static int slot_load(Slot *slot, PyObject *d)
{
    slot->def = d;
    slot->usable = 0;
    slot->resets_csd = 0;
    slot->key_len = -1;
    if (d == Py_None)
        return 0;
    int bad = bool_attr(d, s_bad);
    Py_ssize_t gnum = int_attr(d, s_gnum);
    slot->size = int_attr(d, s_size);
    slot->resets_csd = bool_attr(d, s_resets_csd);
    if (PyErr_Occurred())
        return -1;
    slot->usable = !bad && gnum != DEVELOPER_DATA_ID && gnum != FIELD_DESCRIPTION;
    return 0;
}

static int flush(Pending *p)
{
    if (p->def == NULL)
        return 0;
    PyObject *runs = PyObject_GetAttr(p->def, s_runs);
    if (runs == NULL)
        return -1;
    int rc = -1;
    if (!PyByteArray_Check(runs)) {
        PyErr_SetString(PyExc_TypeError, "Definition.runs must be a bytearray");
    } else {
        /* one (first, count, stride) triple of native int64, as _walk._RUN packs it */
        long long triple[3] = {p->first, p->count, p->stride};
        Py_ssize_t had = PyByteArray_GET_SIZE(runs);
        if (PyByteArray_Resize(runs, had + (Py_ssize_t)sizeof triple) == 0) {
            memcpy(PyByteArray_AS_STRING(runs) + had, triple, sizeof triple);
            rc = 0;
        }
    }
    Py_DECREF(runs);
    p->def = NULL;
    return rc;
}

/* Add the run (first, count, step) of `d`: it extends d's pending run when it continues it at
 * a regular distance, else the pending run goes to d.runs and this one waits. */
static int add_run(Pending *pending, int *npending, PyObject *d, Py_ssize_t first,
                   Py_ssize_t count, Py_ssize_t step)
{
    Pending *p = NULL;
    for (int i = 0; i < *npending; i++)
        if (pending[i].def == d) {
            p = &pending[i];
            break;
        }
    if (p != NULL && count == 1) {
        Py_ssize_t stride = p->count == 1 ? first - p->first : p->stride;
        if (stride > 0 && p->first + p->count * stride == first) {
            p->count += 1;
            p->stride = stride;
            return 0;
        }
    }
    if (p != NULL) {
        if (flush(p) < 0)
            return -1;
    } else {
        if (*npending == MAX_PENDING) {
            for (int i = 0; i < MAX_PENDING; i++)
                if (flush(&pending[i]) < 0)
                    return -1;
            *npending = 0;
        }
        p = &pending[(*npending)++];
    }
    p->def = d;
    p->first = first;
    p->count = count;
    p->stride = step;
    return 0;
}

static PyObject *scan(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t pos, end;
    PyObject *local, *cache, *defs, *known, *csd_resets;
    if (!PyArg_ParseTuple(args, "y*nnO!O!O!O!O!", &buf, &pos, &end, &PyList_Type, &local,
                          &PyDict_Type, &cache, &PyList_Type, &defs, &PySet_Type, &known,
                          &PyList_Type, &csd_resets))
        return NULL;
    const unsigned char *data = buf.buf;
    Py_ssize_t n = buf.len;
    Py_ssize_t limit = end < n ? end : n;
    Slot slots[16];
    int loaded[16] = {0};
    Pending pending[MAX_PENDING];
    int npending = 0;
    Slot seen[MAX_SEEN]; /* layouts met in this scan, by their definition bytes */
    int nseen = 0;
    PyObject *result = NULL;
    if (PyList_GET_SIZE(local) != 16) {
        PyErr_SetString(PyExc_ValueError, "local must hold 16 entries");
        goto done;
    }
    while (pos < end) {
        if (pos >= n)
            break;
        unsigned char h = data[pos];
        if (h & 0x80)
            break; /* compressed timestamp */
        int slot = h & 0xF;
        if (h & 0x40) {
            if (h & 0x20 || n - pos < 6)
                break; /* developer fields, or truncated */
            Py_ssize_t stop = pos + 6 + 3 * (Py_ssize_t)data[pos + 5];
            if (stop > n)
                break;
            Slot *s = &slots[slot];
            Py_ssize_t klen = stop - pos - 2;
            Slot *hit = NULL;
            for (int i = 0; i < nseen; i++)
                if (seen[i].key_len == klen && memcmp(data + seen[i].key_at, data + pos + 2, klen) == 0) {
                    hit = &seen[i];
                    break;
                }
            if (hit == NULL) {
                /* a layout not met yet in this scan: the walk's cache of layouts */
                PyObject *key = PyBytes_FromStringAndSize((const char *)data + pos + 2, klen);
                if (key == NULL)
                    goto done;
                PyObject *d = PyDict_GetItemWithError(cache, key); /* borrowed */
                Py_DECREF(key);
                if (d == NULL) {
                    if (PyErr_Occurred())
                        goto done;
                    break; /* a new layout: parsed in Python */
                }
                PyObject *ident = PyLong_FromVoidPtr(d);
                if (ident == NULL)
                    goto done;
                int known_d = PySet_Contains(known, ident);
                if (known_d == 0 && (PySet_Add(known, ident) < 0 || PyList_Append(defs, d) < 0))
                    known_d = -1;
                Py_DECREF(ident);
                if (known_d < 0)
                    goto done;
                if (nseen == MAX_SEEN)
                    nseen = 0; /* start the memo again: it only saves look-ups */
                hit = &seen[nseen++];
                if (slot_load(hit, d) < 0)
                    goto done;
                hit->key_at = pos + 2;
                hit->key_len = klen;
            }
            if (!loaded[slot] || s->def != hit->def) {
                Py_INCREF(hit->def);
                if (PyList_SetItem(local, slot, hit->def) < 0)
                    goto done;
            }
            *s = *hit;
            loaded[slot] = 1;
            if (s->resets_csd) {
                PyObject *p = PyLong_FromSsize_t(pos);
                if (p == NULL)
                    goto done;
                int rc = PyList_Append(csd_resets, p);
                Py_DECREF(p);
                if (rc < 0)
                    goto done;
            }
            pos = stop;
            continue;
        }
        if (!loaded[slot]) {
            if (slot_load(&slots[slot], PyList_GET_ITEM(local, slot)) < 0)
                goto done;
            loaded[slot] = 1;
        }
        Slot *s = &slots[slot];
        if (!s->usable)
            break;
        Py_ssize_t step = s->size + 1;
        Py_ssize_t first = pos;
        pos += step;
        while (pos < limit && data[pos] == h)
            pos += step;
        if (pos > n) {
            pos = first; /* truncated: the Python walk raises */
            break;
        }
        if (add_run(pending, &npending, s->def, first + 1, (pos - first) / step, step) < 0)
            goto done;
    }
    result = PyLong_FromSsize_t(pos);
done:
    for (int i = 0; i < npending; i++)
        if (flush(&pending[i]) < 0)
            Py_CLEAR(result);
    PyBuffer_Release(&buf);
    return result;
}

/* One numeric field of a definition, as columns() reads it. */
typedef struct {
    Py_ssize_t col, off;
    int bsize, kind, big; /* kind: 0 unsigned, 1 signed, 2 float */
    unsigned long long invalid;
    double scale, offset;
} Spec;

static int spec_parse(PyObject *t, Spec *s)
{
    PyObject *inv;
    if (!PyArg_ParseTuple(t, "nniiiOdd", &s->col, &s->off, &s->bsize, &s->kind, &s->big, &inv,
                          &s->scale, &s->offset))
        return -1;
    s->invalid = inv == Py_None ? 0 : PyLong_AsUnsignedLongLongMask(inv);
    if (PyErr_Occurred())
        return -1;
    if (!(s->bsize == 1 || s->bsize == 2 || s->bsize == 4 || s->bsize == 8) || s->kind < 0 ||
        s->kind > 2 || (s->kind == 2 && s->bsize < 4) || s->off < 0) {
        PyErr_SetString(PyExc_ValueError, "columns: unusable field spec");
        return -1;
    }
    return 0;
}

/* The field's raw bytes as an unsigned integer in the file's byte order. */
static unsigned long long raw_bits(const unsigned char *p, int bsize, int big)
{
    unsigned long long v = 0;
    if (big)
        for (int i = 0; i < bsize; i++)
            v = v << 8 | p[i];
    else
        for (int i = bsize - 1; i >= 0; i--)
            v = v << 8 | p[i];
    return v;
}

/* The value of one field of one message, and whether it is valid (numpy's reading of it). */
static int field_value(const unsigned char *p, const Spec *s, double *out)
{
    unsigned long long bits = raw_bits(p, s->bsize, s->big);
    double v;
    if (s->kind == 2) {
        if (s->bsize == 4) {
            float f;
            uint32_t b32 = (uint32_t)bits;
            memcpy(&f, &b32, 4);
            v = (double)f;
        } else {
            memcpy(&v, &bits, 8);
        }
        if (v != v)
            return 0;
    } else {
        if (bits == s->invalid)
            return 0;
        if (s->kind == 1) {
            int shift = 64 - 8 * s->bsize;
            long long sv = (long long)(bits << shift) >> shift;
            v = (double)sv;
        } else {
            v = (double)bits;
        }
    }
    *out = v / s->scale - s->offset;
    return 1;
}

static PyObject *columns(PyObject *self, PyObject *args)
{
    Py_buffer data = {0}, starts = {0}, rows = {0}, out = {0};
    PyObject *specs, *result = NULL;
    Spec *spec = NULL;
    Py_ssize_t total;
    if (!PyArg_ParseTuple(args, "y*y*y*w*nO!", &data, &starts, &rows, &out, &total,
                          &PyList_Type, &specs))
        return NULL;
    Py_ssize_t n = starts.len / 8, k = PyList_GET_SIZE(specs);
    Py_ssize_t ncols = total > 0 ? out.len / 8 / total : 0;
    const long long *st = starts.buf, *rw = rows.buf;
    double *o = out.buf;
    if (rows.len / 8 != n || out.len % 8 || (total > 0 && (out.len / 8) % total)) {
        PyErr_SetString(PyExc_ValueError, "columns: buffer sizes do not match");
        goto done;
    }
    spec = PyMem_Calloc(k ? k : 1, sizeof(Spec));
    if (spec == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        if (spec_parse(PyList_GET_ITEM(specs, j), &spec[j]) < 0)
            goto done;
        if (spec[j].col < 0 || spec[j].col >= ncols) {
            PyErr_SetString(PyExc_IndexError, "columns: column out of range");
            goto done;
        }
    }
    const unsigned char *d = data.buf;
    for (Py_ssize_t i = 0; i < n; i++)
        if (st[i] < 0 || rw[i] < 0 || rw[i] >= total) {
            PyErr_SetString(PyExc_IndexError, "columns: message offset or row out of range");
            goto done;
        }
    result = PyList_New(k);
    if (result == NULL)
        goto done;
    for (Py_ssize_t j = 0; j < k; j++) {
        const Spec *s = &spec[j];
        double *dst = o + s->col * total;
        Py_ssize_t first = -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t at = st[i] + s->off;
            double v;
            if (at + s->bsize > data.len) {
                PyErr_SetString(PyExc_IndexError, "columns: field beyond the payload");
                Py_CLEAR(result);
                goto done;
            }
            if (field_value(d + at, s, &v)) {
                dst[rw[i]] = v;
                if (first < 0 || rw[i] < first)
                    first = rw[i];
            }
        }
        PyObject *f = PyLong_FromSsize_t(first);
        if (f == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, j, f);
    }
done:
    PyMem_Free(spec);
    PyBuffer_Release(&data);
    if (starts.obj)
        PyBuffer_Release(&starts);
    if (rows.obj)
        PyBuffer_Release(&rows);
    if (out.obj)
        PyBuffer_Release(&out);
    return result;
}

/* The FIT CRC-16 (reflected, polynomial 0xA001, start 0; analyzer/fit/fast/_crc.py), eight bytes
 * per step with eight tables ("slicing by 8"); table k runs a byte and k zero bytes through. */
static uint16_t crc_tables[8][256];

static void crc_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint16_t c = (uint16_t)i;
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? (uint16_t)((c >> 1) ^ 0xA001) : (uint16_t)(c >> 1);
        crc_tables[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++) {
            uint16_t c = crc_tables[k - 1][i];
            crc_tables[k][i] = (uint16_t)((c >> 8) ^ crc_tables[0][c & 0xFF]);
        }
}

static PyObject *crc16(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    unsigned int start = 0;
    if (!PyArg_ParseTuple(args, "y*|I", &buf, &start))
        return NULL;
    const unsigned char *p = buf.buf;
    Py_ssize_t n = buf.len;
    uint32_t crc = start & 0xFFFF;
    Py_BEGIN_ALLOW_THREADS
    while (n >= 8) {
        uint32_t x = crc ^ (uint32_t)(p[0] | p[1] << 8);
        crc = crc_tables[7][x & 0xFF] ^ crc_tables[6][x >> 8] ^ crc_tables[5][p[2]] ^
              crc_tables[4][p[3]] ^ crc_tables[3][p[4]] ^ crc_tables[2][p[5]] ^
              crc_tables[1][p[6]] ^ crc_tables[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = (crc >> 8) ^ crc_tables[0][(crc ^ *p++) & 0xFF];
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLong(crc);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(data, pos, end, local, cache, defs, known, csd_resets) -> pos\n\n"
     "Walk known plain definitions and plain data messages from pos; return the offset of "
     "the first message left to the Python walk (or end)."},
    {"crc16", crc16, METH_VARARGS,
     "crc16(data, start=0) -> int\n\nThe FIT CRC-16 of a bytes-like object."},
    {"columns", columns, METH_VARARGS,
     "columns(data, starts, rows, out, total, specs) -> first rows\n\n"
     "Decode single numeric fields of data messages (body offsets `starts`, int64) into the "
     "float64 block `out` (columns x total) at `rows`; specs: (column, body offset, size, "
     "kind 0/1/2 for unsigned/signed/float, big endian, invalid, scale, offset). An invalid "
     "value writes nothing. Returns the first row written per spec (-1: none)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cwalk", NULL, -1, methods};

PyMODINIT_FUNC PyInit__cwalk(void)
{
    s_size = PyUnicode_InternFromString("size");
    s_bad = PyUnicode_InternFromString("bad");
    s_gnum = PyUnicode_InternFromString("gnum");
    s_resets_csd = PyUnicode_InternFromString("resets_csd");
    s_runs = PyUnicode_InternFromString("runs");
    if (!s_size || !s_bad || !s_gnum || !s_resets_csd || !s_runs)
        return NULL;
    crc_init();
    return PyModule_Create(&module);
}
