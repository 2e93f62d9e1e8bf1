/*
 * kmap: the open-addressing hash maps of analysis/. Keys are 64-bit hashes
 * (0 marks an empty slot); values are heads of posting chains in a separate
 * array, so one map serves "key -> list of sentences" without a list per key.
 */
#include "analysis/internal.h"

#include <stdlib.h>
#include <string.h>

uint64_t an_fnv(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

uint64_t an_mix3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = a * 0x9E3779B97F4A7C15ULL;
    h ^= b + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    h ^= c + 0x8CB92BA72F3D8DD7ULL + (h << 6) + (h >> 2);
    return h ? h : 1;
}

void kmap_free(struct kmap *m)
{
    free(m->keys);
    free(m->head);
    memset(m, 0, sizeof *m);
}

int kmap_init(struct kmap *m, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2 + 1)
        cap *= 2;
    m->keys = calloc(cap, sizeof *m->keys);
    m->head = malloc(cap * sizeof *m->head);
    m->cap = cap;
    m->n = 0;
    if (!m->keys || !m->head) {
        kmap_free(m);
        return -1;
    }
    return 0;
}

static size_t kmap_slot(const struct kmap *m, uint64_t key)
{
    size_t i = (size_t)(key ^ (key >> 29)) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

uint32_t kmap_get(const struct kmap *m, uint64_t key)
{
    if (!m->cap)
        return NONE;
    size_t i = kmap_slot(m, key);
    return m->keys[i] ? m->head[i] : NONE;
}

int kmap_has(const struct kmap *m, uint64_t key)
{
    return m->cap && m->keys[kmap_slot(m, key)] != 0;
}

int kmap_add(struct kmap *m, struct posts *ps, uint64_t key, uint32_t val)
{
    if (!m->cap)
        return -1;
    size_t i = kmap_slot(m, key);
    if (!m->keys[i]) {
        if ((m->n + 1) * 2 > m->cap)
            return -1;
        m->keys[i] = key;
        m->head[i] = NONE;
        m->n++;
    }
    if (ps) {
        if (ps->n == ps->cap) {
            size_t cap = ps->cap ? ps->cap * 2 : 64;
            struct post *v = realloc(ps->v, cap * sizeof *v);
            if (!v)
                return -1;
            ps->v = v;
            ps->cap = cap;
        }
        ps->v[ps->n].val = val;
        ps->v[ps->n].next = m->head[i];
        m->head[i] = (uint32_t)ps->n++;
    }
    return 0;
}

/* Rehashes into twice the room; chains move with their keys. */
static int kmap_grow(struct kmap *m)
{
    struct kmap n = {0};
    if (kmap_init(&n, m->cap) < 0)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t j = kmap_slot(&n, m->keys[i]);
            n.keys[j] = m->keys[i];
            n.head[j] = m->head[i];
            n.n++;
        }
    kmap_free(m);
    *m = n;
    return 0;
}

int kmap_add_grow(struct kmap *m, struct posts *ps, uint64_t key, uint32_t val)
{
    if ((!m->cap && kmap_init(m, 64) < 0) || ((m->n + 2) * 2 > m->cap && kmap_grow(m) < 0))
        return -1;
    return kmap_add(m, ps, key, val);
}

void kmap_set_head(struct kmap *m, uint64_t key, uint32_t head)
{
    if (!m->cap)
        return;
    size_t i = kmap_slot(m, key);
    if (m->keys[i])
        m->head[i] = head;
}

int kmap_compact(struct kmap *m, struct posts *ps)
{
    if (!ps->n)
        return 0;
    struct post *v = malloc(ps->n * sizeof *v);
    if (!v)
        return -1;
    uint32_t o = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i] || m->head[i] == NONE)
            continue;
        uint32_t h = m->head[i];
        m->head[i] = o;
        for (; h != NONE; h = ps->v[h].next, o++) {
            v[o].val = ps->v[h].val;
            v[o].next = ps->v[h].next == NONE ? NONE : o + 1;
        }
    }
    free(ps->v);
    ps->v = v;
    ps->cap = ps->n;
    return 0;
}
