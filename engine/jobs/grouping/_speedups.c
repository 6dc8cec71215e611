/* C for the two loops grouping runs over every new posting's ~3 KB description.
 *
 * words_sketch: the body's words, their count and their bottom-k MinHash sketch in one pass.
 * The same values as the pure-Python reference in sketch.py (``sketch_words``), byte for byte
 * (tests/unit/test_speedups.py compares the two on generated bodies): words are runs of
 * bytes other than ASCII whitespace (bytes.split()), each word's value is its CRC-32 (zlib's),
 * a shingle's value is CPython's hash of the tuple of four word values (the xxHash-based tuple
 * hash of CPython >= 3.8 on 64-bit builds; an int below 2**61 - 1 hashes to itself), and the k
 * smallest distinct shingle values are kept, their high halves stored big-endian with the sign
 * bit flipped (numeric order = byte order).
 *
 * Why C: ingest sketches every new posting, and in Python the per-word objects (split, crc32,
 * tuples) cost ~100 us of a ~3 KB body; here it is a few microseconds.
 *
 * similarity: the estimated Jaccard of two stored sketches, by one merge of their sorted values
 * (in Python: two sets of 64 ints per pair, ~3 us, compared thousands of times a batch).
 *
 * present: which of a few phrases (board boilerplate, ATS hosts, "our client") occur in a text,
 * in one pass instead of one scan per phrase (~1.2 us each for 3 KB in Python).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SHINGLE_WORDS 4

/* CRC-32 (IEEE 802.3, as zlib.crc32), four bytes a step ("slicing-by-4"): words are short, so
 * the usual byte-at-a-time loop's chain of table lookups was most of the time. */
static uint32_t crc_table[4][256];

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        for (int t = 1; t < 4; t++) {
            uint32_t c = crc_table[t - 1][n];
            crc_table[t][n] = crc_table[0][c & 0xFF] ^ (c >> 8);
        }
    }
}

static uint32_t crc32_of(const unsigned char *p, Py_ssize_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (; n >= 4; p += 4, n -= 4) {
        c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        c = crc_table[3][c & 0xFF] ^ crc_table[2][(c >> 8) & 0xFF] ^
            crc_table[1][(c >> 16) & 0xFF] ^ crc_table[0][c >> 24];
    }
    for (; n > 0; p++, n--) c = crc_table[0][(c ^ *p) & 0xFF] ^ (c >> 8);
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

/* Sorts values[0:n] and moves its k smallest distinct values to the front; returns how many.
 * The ~2k values under the bound are sorted by insertion (no call per comparison, as qsort
 * makes); the rare sort of every value by qsort. */
static Py_ssize_t sorted_distinct(int64_t *values, Py_ssize_t n, Py_ssize_t k) {
    Py_ssize_t kept = 0;
    if (n <= 512) {
        for (Py_ssize_t i = 1; i < n; i++) {
            int64_t v = values[i];
            Py_ssize_t j = i;
            for (; j > 0 && values[j - 1] > v; j--) values[j] = values[j - 1];
            values[j] = v;
        }
    } else {
        qsort(values, (size_t)n, sizeof(int64_t), by_value);
    }
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

/* Needles are found by their first three bytes: a 4096-bit table of their hashed prefixes
 * skips nearly every position of the text with one lookup. */
#define PREFIX_BITS 12
#define MAX_NEEDLES 64

static inline unsigned prefix_of(const unsigned char *p) {
    return ((unsigned)p[0] * 961u + (unsigned)p[1] * 31u + (unsigned)p[2]) &
           ((1u << PREFIX_BITS) - 1);
}

/* present(haystack: bytes, needles: tuple[bytes, ...]) -> int: bit i set when needles[i] occurs */
static PyObject *present(PyObject *self, PyObject *args) {
    Py_buffer hay;
    PyObject *needles;
    if (!PyArg_ParseTuple(args, "y*O!", &hay, &PyTuple_Type, &needles)) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(needles);
    if (n > MAX_NEEDLES) {
        PyBuffer_Release(&hay);
        return PyErr_Format(PyExc_ValueError, "at most %d needles", MAX_NEEDLES);
    }
    const unsigned char *text[MAX_NEEDLES];
    Py_ssize_t length[MAX_NEEDLES];
    unsigned prefix[MAX_NEEDLES];
    uint64_t table[(1u << PREFIX_BITS) / 64] = {0};
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *needle = PyTuple_GET_ITEM(needles, j);
        if (!PyBytes_Check(needle) || PyBytes_GET_SIZE(needle) < 3) {
            PyBuffer_Release(&hay);
            return PyErr_Format(PyExc_ValueError, "needles are bytes of at least 3 bytes");
        }
        text[j] = (const unsigned char *)PyBytes_AS_STRING(needle);
        length[j] = PyBytes_GET_SIZE(needle);
        prefix[j] = prefix_of(text[j]);
        table[prefix[j] >> 6] |= 1ULL << (prefix[j] & 63);
    }
    const unsigned char *h = hay.buf;
    Py_ssize_t size = hay.len;
    uint64_t found = 0, all = n == 64 ? ~0ULL : (1ULL << n) - 1;
    for (Py_ssize_t i = 0; i + 3 <= size && found != all; i++) {
        unsigned x = prefix_of(h + i);
        if (!((table[x >> 6] >> (x & 63)) & 1)) continue;
        for (Py_ssize_t j = 0; j < n; j++) {
            if (prefix[j] == x && !((found >> j) & 1) && length[j] <= size - i &&
                memcmp(h + i, text[j], (size_t)length[j]) == 0)
                found |= 1ULL << j;
        }
    }
    PyBuffer_Release(&hay);
    return PyLong_FromUnsignedLongLong(found);
}

/* similarity(a: bytes, b: bytes, k: int) -> float: of the k smallest values of the union of two
 * sketches (sorted big-endian uint32 values, distinct within each), the share held by both. */
static inline uint32_t value_at(const unsigned char *p, Py_ssize_t i) {
    p += 4 * i;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static PyObject *similarity(PyObject *self, PyObject *args) {
    Py_buffer a, b;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "y*y*n", &a, &b, &k)) return NULL;
    Py_ssize_t na = a.len / 4, nb = b.len / 4, i = 0, j = 0, taken = 0, shared = 0;
    const unsigned char *pa = a.buf, *pb = b.buf;
    while (taken < k && (i < na || j < nb)) {
        if (j == nb || (i < na && value_at(pa, i) < value_at(pb, j))) {
            i++;
        } else if (i == na || value_at(pb, j) < value_at(pa, i)) {
            j++;
        } else {
            shared++;
            i++;
            j++;
        }
        taken++;
    }
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return PyFloat_FromDouble(taken ? (double)shared / (double)taken : 0.0);
}

static PyMethodDef methods[] = {
    {"words_sketch", words_sketch, METH_VARARGS,
     "words_sketch(raw, min_words, k) -> (joined, words, sketch): the words of raw (split on "
     "ASCII whitespace) joined by single spaces, their number, and their bottom-k sketch (b'' "
     "below min_words words)."},
    {"similarity", similarity, METH_VARARGS,
     "similarity(a, b, k) -> float: of the k smallest values of the union of two sketches, the "
     "share both hold."},
    {"present", present, METH_VARARGS,
     "present(haystack, needles) -> int: bit i is set when needles[i] (bytes, at least 3 long, "
     "at most 64 of them) occurs in haystack."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) {
    crc_init();
    return PyModule_Create(&module);
}
