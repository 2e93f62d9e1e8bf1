/*
 * feed_prepass: rewrites the UTF-8 text of a feed before libxml2 parses it.
 *
 * - The DOCTYPE is removed. Only "safe" internal entities (a literal value
 *   without '&', or a single character reference, as feedparser allows) are
 *   kept, and they are substituted here. So libxml2 never sees an entity
 *   declaration: no external entity or DTD can be loaded and no
 *   billion-laughs expansion can happen, whatever the parser options.
 * - HTML entities that XML does not define (&nbsp; &eacute; ...) become
 *   numeric references; unknown ones and bare '&' become literal text. Both
 *   mean the input was not well-formed: bozo.
 * - The XML declaration is dropped, since the text is UTF-8 now whatever it
 *   said.
 * - Bounds: entity substitution, element depth and attributes per tag are
 *   capped (see the constants); what is cut is reported as bozo.
 * Comments, CDATA sections and processing instructions are copied untouched.
 */
#include "fetchers/feed.h"

#include "common/buf.h"

#include <libxml/HTMLparser.h>
#include <string.h>
#include <strings.h>

#define MAX_SAFE_ENTITIES 64
#define MAX_NAME 64
/* Bytes that entity substitution may add beyond the input's size: a
 * "quadratic blowup" (one big entity referenced many times) stops here. */
#define ENTITY_BUDGET (1u << 20)
/* Deeper elements are turned into text: libxml2 gives up at depth 256 and
 * would lose every item after them. */
#define MAX_DEPTH 200
/* Attributes kept per tag: libxml2's duplicate check is quadratic in them. */
#define MAX_ATTRS 256

struct safe_entity {
    char name[MAX_NAME];
    const char *val; /* points into the input */
    size_t vlen;
};

struct prepass {
    struct safe_entity ent[MAX_SAFE_ENTITIES];
    size_t nent;
    size_t budget; /* entity bytes left, see ENTITY_BUDGET */
    size_t depth;
    size_t cut_from, cut_to; /* input bytes to skip: a cut attribute flood */
};

static int is_name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

static int is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Finds needle in s[i..n); returns its index or n. */
static size_t find(const char *s, size_t n, size_t i, const char *needle)
{
    size_t k = strlen(needle);
    for (; i + k <= n; i++)
        if (!memcmp(s + i, needle, k))
            return i;
    return n;
}

/* Records <!ENTITY name "value"> when the value is harmless (see above). */
static void scan_entity_decl(struct prepass *pp, const char *s, size_t n)
{
    size_t i = 8; /* after "<!ENTITY" */
    while (i < n && is_space(s[i]))
        i++;
    if (i >= n || s[i] == '%')
        return;
    size_t ns = i;
    while (i < n && is_name_char((unsigned char)s[i]))
        i++;
    size_t nl = i - ns;
    if (!nl || nl >= MAX_NAME)
        return;
    while (i < n && is_space(s[i]))
        i++;
    if (i >= n || s[i] != '"')
        return;
    size_t vs = ++i;
    while (i < n && s[i] != '"')
        i++;
    if (i >= n)
        return;
    const char *v = s + vs;
    size_t vl = i - vs;
    int safe = !memchr(v, '&', vl) && !memchr(v, '<', vl);
    if (!safe && vl > 3 && v[0] == '&' && v[1] == '#' && v[vl - 1] == ';') {
        safe = 1;
        for (size_t k = 2; k + 1 < vl; k++)
            if (!is_name_char((unsigned char)v[k]))
                safe = 0;
    }
    if (!safe || pp->nent >= MAX_SAFE_ENTITIES)
        return;
    struct safe_entity *e = &pp->ent[pp->nent++];
    memcpy(e->name, s + ns, nl);
    e->name[nl] = '\0';
    e->val = v;
    e->vlen = vl;
}

/* Skips a DOCTYPE starting at s[i]; returns the index after it. */
static size_t skip_doctype(struct prepass *pp, const char *s, size_t n, size_t i)
{
    char q = 0;
    int subset = 0;
    for (i += 9; i < n; i++) {
        char c = s[i];
        if (q) {
            if (c == q)
                q = 0;
        } else if (c == '"' || c == '\'') {
            q = c;
        } else if (c == '[') {
            subset = 1;
        } else if (c == ']') {
            subset = 0;
        } else if (subset && c == '<' && i + 8 <= n && !memcmp(s + i, "<!ENTITY", 8)) {
            size_t e = i;
            char eq = 0;
            while (e < n && (eq || s[e] != '>')) {
                if (eq && s[e] == eq)
                    eq = 0;
                else if (!eq && (s[e] == '"' || s[e] == '\''))
                    eq = s[e];
                e++;
            }
            scan_entity_decl(pp, s + i, e - i);
            i = e;
        } else if (subset && c == '<' && i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
            i = find(s, n, i + 4, "-->") + 2;
        } else if (!subset && c == '>') {
            return i + 1;
        }
    }
    return n;
}

static const struct safe_entity *lookup_safe(const struct prepass *pp, const char *name)
{
    for (size_t i = 0; i < pp->nent; i++)
        if (!strcmp(pp->ent[i].name, name))
            return &pp->ent[i];
    return NULL;
}

/* Handles the '&' at s[i]; appends its rewrite and returns the index after. */
static int rewrite_amp(struct prepass *pp, const char *s, size_t n, size_t i, struct buf *out,
                       size_t *next, int *bozo)
{
    size_t j = i + 1;
    if (j < n && s[j] == '#') {
        size_t k = j + 1;
        int hex = k < n && (s[k] == 'x' || s[k] == 'X');
        if (hex)
            k++;
        size_t ds = k;
        while (k < n && (hex ? ((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f') ||
                                (s[k] >= 'A' && s[k] <= 'F'))
                             : (s[k] >= '0' && s[k] <= '9')))
            k++;
        if (k > ds && k < n && s[k] == ';') {
            *next = k + 1;
            if (hex && s[j + 1] == 'X') {
                /* HTML allows &#X41; XML does not */
                *bozo = 1;
                return buf_printf(out, "&#x%.*s;", (int)(k - ds), s + ds);
            }
            return buf_append(out, s + i, k + 1 - i);
        }
    } else if (j < n && is_name_start((unsigned char)s[j])) {
        size_t k = j;
        while (k < n && is_name_char((unsigned char)s[k]))
            k++;
        size_t nl = k - j;
        if (k < n && s[k] == ';' && nl < MAX_NAME) {
            char name[MAX_NAME];
            memcpy(name, s + j, nl);
            name[nl] = '\0';
            *next = k + 1;
            if (!strcmp(name, "lt") || !strcmp(name, "gt") || !strcmp(name, "amp") ||
                !strcmp(name, "quot") || !strcmp(name, "apos"))
                return buf_append(out, s + i, k + 1 - i);
            const struct safe_entity *e = lookup_safe(pp, name);
            if (e && e->vlen <= pp->budget) {
                pp->budget -= e->vlen;
                return buf_append(out, e->val, e->vlen);
            }
            if (e) {
                *bozo = 1; /* over budget: the reference stays as text */
                return buf_printf(out, "&amp;%s;", name);
            }
            *bozo = 1;
            const htmlEntityDesc *h = htmlEntityLookup((const xmlChar *)name);
            if (h)
                return buf_printf(out, "&#%u;", h->value);
            return buf_printf(out, "&amp;%s;", name);
        }
    }
    *bozo = 1;
    *next = i + 1;
    return buf_puts(out, "&amp;");
}

/* A start or end tag at s[i] ('<' then a name start or '/'): tracks depth,
 * writes '<' or, past MAX_DEPTH, "&lt;" so that the tag becomes text, and
 * marks attributes past MAX_ATTRS for skipping. The rest of the tag is copied
 * by the main loop, which rewrites its entities. */
static int tag_open(struct prepass *pp, const char *s, size_t n, size_t i, struct buf *out,
                    int *bozo)
{
    int end = s[i + 1] == '/';
    size_t e = i + 1, nattr = 0, cut = 0;
    char q = 0;
    for (; e < n; e++) {
        if (q) {
            if (s[e] == q) {
                q = 0;
                if (++nattr == MAX_ATTRS)
                    cut = e + 1;
            }
        } else if (s[e] == '"' || s[e] == '\'') {
            q = s[e];
        } else if (s[e] == '>' || s[e] == '<') {
            break;
        }
    }
    if (e >= n || s[e] != '>')
        return buf_putc(out, '<'); /* not a complete tag: libxml2 recovers */
    int selfclose = s[e - 1] == '/';
    if (cut && cut < e) {
        *bozo = 1;
        pp->cut_from = cut;
        pp->cut_to = selfclose ? e - 1 : e;
    }
    int text;
    if (end) {
        text = pp->depth > MAX_DEPTH;
        if (pp->depth)
            pp->depth--;
    } else {
        text = pp->depth >= MAX_DEPTH;
        if (!selfclose)
            pp->depth++;
    }
    if (text)
        *bozo = 1;
    return text ? buf_puts(out, "&lt;") : buf_putc(out, '<');
}

int feed_prepass(const char *s, size_t n, struct buf *out, int *bozo)
{
    struct prepass pp;
    memset(&pp, 0, sizeof pp);
    pp.budget = ENTITY_BUDGET + n;
    pp.cut_from = pp.cut_to = (size_t)-1;
    int seen_root = 0;
    size_t i = 0, run = 0;
    while (i < n) {
        char c = s[i];
        if (c != '<' && c != '&' && i != pp.cut_from) {
            i++;
            continue;
        }
        if (buf_append(out, s + run, i - run) < 0)
            return -1;
        size_t next;
        if (i == pp.cut_from) {
            next = pp.cut_to;
            pp.cut_from = pp.cut_to = (size_t)-1;
        } else if (c == '&') {
            if (rewrite_amp(&pp, s, n, i, out, &next, bozo) < 0)
                return -1;
        } else if (i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
            next = find(s, n, i + 4, "-->");
            next = next < n ? next + 3 : n;
            if (buf_append(out, s + i, next - i) < 0)
                return -1;
        } else if (i + 9 <= n && !memcmp(s + i, "<![CDATA[", 9)) {
            next = find(s, n, i + 9, "]]>");
            next = next < n ? next + 3 : n;
            if (buf_append(out, s + i, next - i) < 0)
                return -1;
        } else if (i + 2 <= n && s[i + 1] == '?') {
            next = find(s, n, i + 2, "?>");
            next = next < n ? next + 2 : n;
            int decl = !seen_root && i + 6 <= n && !memcmp(s + i, "<?xml", 5) &&
                       (is_space(s[i + 5]) || s[i + 5] == '?');
            if (!decl && buf_append(out, s + i, next - i) < 0)
                return -1;
        } else if (!seen_root && i + 9 <= n && !strncasecmp(s + i, "<!DOCTYPE", 9)) {
            next = skip_doctype(&pp, s, n, i);
        } else if (i + 1 < n &&
                   (is_name_start((unsigned char)s[i + 1]) || (s[i + 1] == '/' && seen_root))) {
            seen_root = 1;
            next = i + 1;
            if (tag_open(&pp, s, n, i, out, bozo) < 0)
                return -1;
        } else {
            next = i + 1;
            if (buf_putc(out, '<') < 0)
                return -1;
        }
        i = run = next;
    }
    if (buf_append(out, s + run, n - run) < 0)
        return -1;
    return 0;
}
