/* The body's words, their count and their bottom-k MinHash sketch in one pass, in C.
 *
 * The same values as the pure-Python reference in sketch.py (``sketch_words``), byte for byte
 * (tests/unit/test_fastsketch.py compares the two on generated bodies): words are runs of
 * bytes other than ASCII whitespace (bytes.split()), each word's value is its CRC-32 (zlib's),
 * a shingle's value is CPython's hash of the tuple of four word values (the xxHash-based tuple
 * hash of CPython >= 3.8 on 64-bit builds; an int below 2**61 - 1 hashes to itself), and the k
 * smallest distinct shingle values are kept, their high halves stored big-endian with the sign
 * bit flipped (numeric order = byte order).
 *
 * Why C: ingest sketches every new posting, and in Python the per-word objects (split, crc32,
 * tuples) cost ~100 us of a ~3 KB body; here it is a few microseconds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SHINGLE_WORDS 4

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32_of(const unsigned char *p, Py_ssize_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* CPython's tuplehash (Objects/tupleobject.c, 3.8+), for a tuple of four small ints. */
#define XXPRIME_1 11400714785074694791ULL
#define XXPRIME_2 14029467366897019727ULL
#define XXPRIME_5 2870177450012600261ULL
#define XXROTATE(x) (((x) << 31) | ((x) >> 33))

static int64_t shingle_hash(const uint32_t *lanes) {
    uint64_t acc = XXPRIME_5;
    for (int i = 0; i < SHINGLE_WORDS; i++) {
        acc += (uint64_t)lanes[i] * XXPRIME_2;
        acc = XXROTATE(acc);
        acc *= XXPRIME_1;
    }
    acc += (uint64_t)SHINGLE_WORDS ^ (XXPRIME_5 ^ 3527539ULL);
    if (acc == (uint64_t)-1) return 1546275796;
    return (int64_t)acc;
}

static int by_value(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts values[0:n] and moves its k smallest distinct values to the front; returns how many. */
static Py_ssize_t sorted_distinct(int64_t *values, Py_ssize_t n, Py_ssize_t k) {
    Py_ssize_t kept = 0;
    qsort(values, (size_t)n, sizeof(int64_t), by_value);
    for (Py_ssize_t s = 0; s < n && kept < k; s++) {
        if (kept == 0 || values[s] != values[kept - 1]) values[kept++] = values[s];
    }
    return kept;
}

static inline int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* words_sketch(raw: bytes, min_words: int, k: int) -> (joined: bytes, words: int, sketch: bytes) */
static PyObject *words_sketch(PyObject *self, PyObject *args) {
    Py_buffer raw;
    Py_ssize_t min_words, k;
    if (!PyArg_ParseTuple(args, "y*nn", &raw, &min_words, &k)) return NULL;
    const unsigned char *in = raw.buf;
    Py_ssize_t size = raw.len;
    PyObject *result = NULL, *joined = NULL, *sketch = NULL;
    uint32_t *crcs = NULL;
    int64_t *values = NULL;

    /* Every word is at least one byte and a space: at most size / 2 + 1 words. */
    crcs = PyMem_Malloc(sizeof(uint32_t) * (size_t)(size / 2 + 1));
    joined = PyBytes_FromStringAndSize(NULL, size);
    if (crcs == NULL || joined == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    char *out = PyBytes_AS_STRING(joined);
    Py_ssize_t used = 0, words = 0, i = 0;
    while (i < size) {
        while (i < size && is_space(in[i])) i++;
        if (i == size) break;
        Py_ssize_t start = i;
        while (i < size && !is_space(in[i])) i++;
        if (words) out[used++] = ' ';
        memcpy(out + used, in + start, (size_t)(i - start));
        used += i - start;
        crcs[words++] = crc32_of(in + start, i - start);
    }
    if (_PyBytes_Resize(&joined, used) < 0) goto done; /* frees and clears joined on failure */

    if (words < min_words || words < SHINGLE_WORDS || k <= 0) {
        sketch = PyBytes_FromStringAndSize(NULL, 0);
    } else {
        Py_ssize_t shingles = words - SHINGLE_WORDS + 1, kept = 0;
        values = PyMem_Malloc(sizeof(int64_t) * (size_t)shingles);
        if (values == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        /* Only the k smallest distinct values are kept: sort those under a bound that ~2k of
         * them pass (the hashes are uniform over the 64-bit range), all of them when too few
         * distinct values pass. */
        uint64_t bound = 2 * k >= shingles ? UINT64_MAX
                                           : (UINT64_MAX / (uint64_t)shingles) * (uint64_t)(2 * k);
        Py_ssize_t passed = 0;
        for (Py_ssize_t s = 0; s < shingles; s++) {
            int64_t h = shingle_hash(crcs + s);
            if (((uint64_t)h ^ 0x8000000000000000ULL) < bound) values[passed++] = h;
        }
        kept = sorted_distinct(values, passed, k);
        if (kept < k && passed < shingles) {
            for (Py_ssize_t s = 0; s < shingles; s++) values[s] = shingle_hash(crcs + s);
            kept = sorted_distinct(values, shingles, k);
        }
        sketch = PyBytes_FromStringAndSize(NULL, kept * 4);
        if (sketch == NULL) goto done;
        unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(sketch);
        for (Py_ssize_t s = 0; s < kept; s++) {
            uint32_t v = (uint32_t)((uint64_t)values[s] >> 32) ^ 0x80000000u;
            dst[4 * s] = (unsigned char)(v >> 24);
            dst[4 * s + 1] = (unsigned char)(v >> 16);
            dst[4 * s + 2] = (unsigned char)(v >> 8);
            dst[4 * s + 3] = (unsigned char)v;
        }
    }
    if (sketch != NULL) result = Py_BuildValue("(OnO)", joined, words, sketch);

done:
    PyMem_Free(crcs);
    PyMem_Free(values);
    Py_XDECREF(joined);
    Py_XDECREF(sketch);
    PyBuffer_Release(&raw);
    return result;
}

static PyMethodDef methods[] = {
    {"words_sketch", words_sketch, METH_VARARGS,
     "words_sketch(raw, min_words, k) -> (joined, words, sketch): the words of raw (split on "
     "ASCII whitespace) joined by single spaces, their number, and their bottom-k sketch (b'' "
     "below min_words words)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastsketch", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastsketch(void) {
    crc_init();
    return PyModule_Create(&module);
}
