/*
 * store: SQLite implementation of store.h, as sqlite_store_* (store_backend.c
 * picks the backend and forwards; store_pg*.c is the PostgreSQL one).
 *
 * Every statement lives in stmt_defs[], is prepared once by store_open with
 * SQLITE_PREPARE_PERSISTENT, reset and unbound after each use, and finalised
 * by store_close. SQL is kept to what PostgreSQL also accepts (ON CONFLICT,
 * RETURNING, SAVEPOINT, EXISTS, COALESCE) so a second backend can reuse the
 * queries; only the DDL and the PRAGMAs are SQLite's own.
 */
#include "store/backend.h"

#include "common/buf.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Schema migrations: migrations[i] brings PRAGMA user_version from i to i + 1
 * and runs in one transaction. Append only; never edit a step once released,
 * databases in the field have already run it.
 *
 * Times are Unix seconds (INTEGER). Hashes are 64-bit FNV-1a of the text,
 * only a shortcut before comparing the text itself.
 */
static const char *const migrations[] = {
    /* 1: initial schema */
    "CREATE TABLE feeds ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " url TEXT NOT NULL,"
    " last_fetch INTEGER,"
    " last_success INTEGER,"
    " last_status INTEGER,"
    " last_error TEXT,"
    " consecutive_failures INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE canonicals ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " path TEXT,"
    " text TEXT NOT NULL,"
    " text_hash INTEGER NOT NULL"
    ");"
    "CREATE TABLE articles ("
    " id INTEGER PRIMARY KEY,"
    " feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    " guid TEXT NOT NULL,"
    " link TEXT,"
    " title TEXT,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " UNIQUE (feed_id, guid)"
    ");"
    /* store_list_articles: newest first */
    "CREATE INDEX articles_first_seen ON articles(first_seen);"
    "CREATE TABLE versions ("
    " id INTEGER PRIMARY KEY,"
    " article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
    " version_no INTEGER NOT NULL,"
    " title TEXT,"
    " author TEXT,"
    " summary TEXT,"
    " content TEXT,"
    " text TEXT NOT NULL,"
    " text_hash INTEGER NOT NULL,"
    " published INTEGER,"
    " updated INTEGER,"
    " fetched_at INTEGER NOT NULL,"
    " UNIQUE (article_id, version_no)"
    ");"
    "CREATE TABLE matches ("
    " id INTEGER PRIMARY KEY,"
    " version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
    " canonical_id INTEGER NOT NULL REFERENCES canonicals(id) ON DELETE CASCADE,"
    " score REAL NOT NULL,"
    " lang TEXT,"
    " paragraphs TEXT NOT NULL DEFAULT '',"
    " detail TEXT,"
    " UNIQUE (version_id, canonical_id)"
    ");"
    /* foreign-key checks when a canonical text is deleted */
    "CREATE INDEX matches_canonical ON matches(canonical_id);"
    "CREATE TABLE coverage ("
    " article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
    " canonical_id INTEGER NOT NULL REFERENCES canonicals(id) ON DELETE CASCADE,"
    " first_version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
    " score REAL NOT NULL,"
    " first_covered INTEGER NOT NULL,"
    " PRIMARY KEY (article_id, canonical_id)"
    ");"
    /* store_list_coverage order, and foreign-key checks */
    "CREATE INDEX coverage_canonical ON coverage(canonical_id, first_covered);"
    "CREATE INDEX coverage_version ON coverage(first_version_id);"
    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY,"
    " created INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " record TEXT NOT NULL"
    ");"
    "CREATE TABLE deliveries ("
    " alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
    " channel TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL,"
    " sent_at INTEGER,"
    " last_error TEXT,"
    " PRIMARY KEY (alert_id, channel)"
    ");"
    /* store_delivery_due: only pending rows, which stay few */
    "CREATE INDEX deliveries_due ON deliveries(channel, next_attempt) WHERE state = 'pending';",
    /* 2: poll bookkeeping (conditional requests, redirects, backoff, health) */
    "ALTER TABLE feeds ADD COLUMN moved_url TEXT;"
    "ALTER TABLE feeds ADD COLUMN redirect_url TEXT;"
    "ALTER TABLE feeds ADD COLUMN redirect_count INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN etag TEXT;"
    "ALTER TABLE feeds ADD COLUMN last_modified TEXT;"
    "ALTER TABLE feeds ADD COLUMN body_hash INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN unconditional INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN last_unconditional INTEGER;"
    "ALTER TABLE feeds ADD COLUMN next_due INTEGER;"
    "ALTER TABLE feeds ADD COLUMN error_alerted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN items_new INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN items_seen INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN adaptive_interval INTEGER NOT NULL DEFAULT 0;",
    /* 3: article pages (fetch, revisits, unpublished), the source of each
     * version, and coverage that can be lost and regained */
    "CREATE TABLE pages ("
    " article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
    " url TEXT NOT NULL,"
    " pending INTEGER NOT NULL DEFAULT 1," /* version 1 waits for its page before analysis */
    " fetches INTEGER NOT NULL DEFAULT 0," /* done; the next delay is revisit[fetches - 1] */
    " next_fetch INTEGER,"                 /* NULL: never again */
    " last_fetch INTEGER,"
    " last_status INTEGER,"
    " last_error TEXT,"
    " unpublished INTEGER NOT NULL DEFAULT 0"
    ");"
    /* store_pages_due: only pages still to fetch */
    "CREATE INDEX pages_due ON pages(next_fetch) WHERE next_fetch IS NOT NULL;"
    "ALTER TABLE versions ADD COLUMN source TEXT NOT NULL DEFAULT 'feed';"
    "ALTER TABLE coverage ADD COLUMN active INTEGER NOT NULL DEFAULT 1;",
    /* 4: store_delivery_sent_stats reads the last hour of sent deliveries
     * and the newest one, not the whole history (the mailer asks after
     * every poll) */
    "CREATE INDEX deliveries_sent ON deliveries(channel, sent_at) WHERE state = 'sent';",
    /* 5: an attempt in flight (sending_at) and how many were cut off by a
     * crash before they could be marked (interrupted): such a message goes
     * again, and the receiver may hold it twice */
    "ALTER TABLE deliveries ADD COLUMN sending_at INTEGER;"
    "ALTER TABLE deliveries ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

enum stmt {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_SAVEPOINT,
    S_RELEASE,
    S_ROLLBACK_TO,
    S_FEED_SYNC,
    S_CANONICAL_SYNC,
    S_FEED_OK,
    S_FEED_FAILED,
    S_ARTICLE_INSERT,
    S_ARTICLE_TOUCH,
    S_VERSION_LATEST,
    S_VERSION_INSERT,
    S_MATCH_ADD,
    S_COVERAGE_MARK,
    S_ARTICLE_COVERED,
    S_ALERT_INSERT,
    S_DELIVERY_INSERT,
    S_DELIVERY_DUE,
    S_DELIVERY_DONE,
    S_DELIVERY_FAILED,
    S_DELIVERY_SENDING,
    S_DELIVERY_SENT_STATS,
    S_DELIVERY_BACKLOG,
    S_DELIVERY_OLDEST_DUE,
    S_FEED_STATE_GET,
    S_FEED_STATE_PUT,
    S_LIST_FEEDS,
    S_LIST_ARTICLES,
    S_LIST_COVERAGE,
    S_PAGE_ADD, /* article pages and versions beyond the feed's (migration 3) */
    S_PAGES_DUE,
    S_PAGE_NEXT_DUE,
    S_PAGE_GET,
    S_PAGE_PUT,
    S_PAGE_TOTALS,
    S_VERSION_GET,
    S_VERSION_ADD,
    S_VERSION_SET_TEXT,
    S_LIST_VERSIONS,
    S_COVERAGE_ACTIVE,
    S_COVERAGE_LOSE,
    S_REPORT_CANONICALS, /* read-only queries of presswatch report/serve */
    S_REPORT_COVERAGE,
    S_REPORT_TEXTS,
    S_REPORT_ARTICLE,
    S_REPORT_MATCHES,
    S_COUNT_FEEDS, /* the S_COUNT_* run in the order of count_tables[] */
    S_COUNT_ARTICLES,
    S_COUNT_VERSIONS,
    S_COUNT_CANONICALS,
    S_COUNT_MATCHES,
    S_COUNT_COVERAGE,
    S_COUNT_ALERTS,
    S_COUNT_DELIVERIES,
    S__N
};

struct stmt_def {
    const char *what; /* names the operation in error messages */
    const char *sql;
};

/* The columns of struct store_feed_state, in the order feed_state_read reads them. */
#define FEED_STATE_COLS                                                                            \
    "f.id, f.name, f.url, f.moved_url, f.redirect_url, f.redirect_count, f.etag,"                  \
    " f.last_modified, f.body_hash, f.unconditional, f.last_unconditional, f.last_fetch,"          \
    " f.last_success, f.next_due, f.last_status, f.last_error, f.consecutive_failures,"            \
    " f.error_alerted, f.gone, f.bytes, f.items_new, f.items_seen, f.adaptive_interval"

/* The columns of struct store_page, in the order page_read reads them. */
#define PAGE_COLS                                                                                  \
    "p.article_id, a.feed_id, f.name, p.url, p.pending, p.fetches, p.next_fetch, p.last_fetch,"    \
    " p.last_status, p.last_error, p.unpublished, a.title"
#define PAGE_FROM "pages p JOIN articles a ON a.id = p.article_id JOIN feeds f ON f.id = a.feed_id"

/* The best-scoring match of coverage row cv over the article's versions (the
 * newest on a tie), as S_LIST_COVERAGE picks it. */
#define REPORT_BEST_MATCH                                                                          \
    "SELECT m2.id FROM matches m2 JOIN versions v3 ON v3.id = m2.version_id"                       \
    " WHERE v3.article_id = cv.article_id AND m2.canonical_id = cv.canonical_id"                   \
    " ORDER BY m2.score DESC, v3.version_no DESC LIMIT 1"

static const struct stmt_def stmt_defs[S__N] = {
    [S_BEGIN] = {"begin", "BEGIN IMMEDIATE"},
    [S_COMMIT] = {"commit", "COMMIT"},
    [S_ROLLBACK] = {"rollback", "ROLLBACK"},
    [S_SAVEPOINT] = {"savepoint", "SAVEPOINT store_op"},
    [S_RELEASE] = {"release savepoint", "RELEASE SAVEPOINT store_op"},
    [S_ROLLBACK_TO] = {"rollback to savepoint", "ROLLBACK TO SAVEPOINT store_op"},
    /* A configured URL that changed forgets where the old one had moved to
     * and that it was gone. */
    [S_FEED_SYNC] = {"sync feed",
                     "INSERT INTO feeds (name, url) VALUES (?1, ?2)"
                     " ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
                     " moved_url = CASE WHEN feeds.url = excluded.url THEN feeds.moved_url END,"
                     " gone = CASE WHEN feeds.url = excluded.url THEN feeds.gone ELSE 0 END,"
                     " redirect_count = CASE WHEN feeds.url = excluded.url"
                     "  THEN feeds.redirect_count ELSE 0 END"
                     " RETURNING id"},
    [S_CANONICAL_SYNC] = {"sync canonical",
                          "INSERT INTO canonicals (name, path, text, text_hash)"
                          " VALUES (?1, ?2, ?3, ?4)"
                          " ON CONFLICT (name) DO UPDATE SET path = excluded.path,"
                          " text = excluded.text, text_hash = excluded.text_hash"
                          " RETURNING id"},
    [S_FEED_OK] = {"record feed result",
                   "UPDATE feeds SET last_fetch = ?2, last_success = ?2, last_status = ?3,"
                   " last_error = NULL, consecutive_failures = 0 WHERE id = ?1"},
    [S_FEED_FAILED] = {"record feed result",
                       "UPDATE feeds SET last_fetch = ?2, last_status = ?3, last_error = ?4,"
                       " consecutive_failures = consecutive_failures + 1 WHERE id = ?1"},
    /* DO NOTHING returns no row on conflict: that is how a new article is told apart */
    [S_ARTICLE_INSERT] = {"insert article",
                          "INSERT INTO articles (feed_id, guid, link, title, first_seen, last_seen)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
                          " ON CONFLICT (feed_id, guid) DO NOTHING RETURNING id"},
    [S_ARTICLE_TOUCH] = {"update article",
                         "UPDATE articles SET last_seen = ?3, link = COALESCE(?4, link),"
                         " title = COALESCE(?5, title) WHERE feed_id = ?1 AND guid = ?2"
                         " RETURNING id"},
    [S_VERSION_LATEST] = {"read latest version",
                          "SELECT id, version_no, text_hash, text, source FROM versions"
                          " WHERE article_id = ?1 ORDER BY version_no DESC LIMIT 1"},
    [S_VERSION_INSERT] = {"insert version",
                          "INSERT INTO versions (article_id, version_no, title, author, summary,"
                          " content, text, text_hash, published, updated, fetched_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id"},
    /* re-analysing a version replaces its earlier score */
    [S_MATCH_ADD] = {"add match",
                     "INSERT INTO matches (version_id, canonical_id, score, lang, paragraphs,"
                     " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                     " ON CONFLICT (version_id, canonical_id) DO UPDATE SET"
                     " score = excluded.score, lang = excluded.lang,"
                     " paragraphs = excluded.paragraphs, detail = excluded.detail"},
    [S_COVERAGE_MARK] = {"mark coverage",
                         "INSERT INTO coverage (article_id, canonical_id, first_version_id,"
                         " score, first_covered) VALUES (?1, ?2, ?3, ?4, ?5)"
                         " ON CONFLICT (article_id, canonical_id) DO UPDATE SET active = 1"
                         " WHERE coverage.active = 0 RETURNING 1"},
    [S_ARTICLE_COVERED] = {"read coverage",
                           "SELECT EXISTS (SELECT 1 FROM coverage WHERE article_id = ?1)"},
    [S_ALERT_INSERT] = {"insert alert", "INSERT INTO alerts (created, kind, record)"
                                        " VALUES (?1, ?2, ?3) RETURNING id"},
    [S_DELIVERY_INSERT] = {"insert delivery",
                           "INSERT INTO deliveries (alert_id, channel, state, attempts,"
                           " next_attempt) VALUES (?1, ?2, 'pending', 0, ?3)"},
    [S_DELIVERY_DUE] = {"read due deliveries",
                        "SELECT d.alert_id, a.kind, a.record, d.channel, d.attempts,"
                        " d.sending_at IS NOT NULL OR d.interrupted > 0"
                        " FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
                        " WHERE d.channel = ?1 AND d.state = 'pending' AND d.next_attempt <= ?2"
                        " ORDER BY a.created, a.id LIMIT ?3"},
    [S_DELIVERY_DONE] = {"mark delivery done",
                         "UPDATE deliveries SET state = 'sent', sent_at = ?3,"
                         " attempts = attempts + 1, last_error = NULL, sending_at = NULL"
                         " WHERE alert_id = ?1 AND channel = ?2 AND state = 'pending'"},
    [S_DELIVERY_FAILED] = {"mark delivery failed",
                           "UPDATE deliveries SET attempts = attempts + 1, next_attempt = ?3,"
                           " last_error = ?4, sending_at = NULL"
                           " WHERE alert_id = ?1 AND channel = ?2 AND state = 'pending'"},
    [S_DELIVERY_SENDING] = {"mark delivery in flight",
                            "UPDATE deliveries SET sending_at = ?3,"
                            " interrupted = interrupted + (sending_at IS NOT NULL)"
                            " WHERE alert_id = ?1 AND channel = ?2 AND state = 'pending'"},
    /* Every delivery of one message is marked with the same sent_at, so
     * distinct times count messages (two in one second count as one). */
    [S_DELIVERY_SENT_STATS] = {"count sent deliveries",
                               "SELECT (SELECT count(DISTINCT sent_at) FROM deliveries"
                               " WHERE channel = ?1 AND state = 'sent' AND sent_at >= ?2),"
                               " (SELECT coalesce(max(sent_at), 0) FROM deliveries"
                               " WHERE channel = ?1 AND state = 'sent')"},
    [S_DELIVERY_BACKLOG] = {"count pending deliveries",
                            "SELECT count(*) FROM deliveries WHERE channel = ?1"
                            " AND state = 'pending'"},
    [S_DELIVERY_OLDEST_DUE] = {"read oldest due delivery",
                               "SELECT coalesce(min(a.created), 0) FROM deliveries d"
                               " JOIN alerts a ON a.id = d.alert_id WHERE d.channel = ?1"
                               " AND d.state = 'pending' AND d.next_attempt <= ?2"},
    [S_FEED_STATE_GET] = {"read feed state",
                          "SELECT " FEED_STATE_COLS " FROM feeds f WHERE f.id = ?1"},
    [S_FEED_STATE_PUT] = {"write feed state",
                          "UPDATE feeds SET moved_url = ?2, redirect_url = ?3,"
                          " redirect_count = ?4, etag = ?5, last_modified = ?6, body_hash = ?7,"
                          " unconditional = ?8, last_unconditional = ?9, last_fetch = ?10,"
                          " last_success = ?11, next_due = ?12, last_status = ?13,"
                          " last_error = ?14, consecutive_failures = ?15, error_alerted = ?16,"
                          " gone = ?17, bytes = ?18, items_new = ?19, items_seen = ?20,"
                          " adaptive_interval = ?21 WHERE id = ?1"},
    [S_LIST_FEEDS] = {"list feeds", "SELECT " FEED_STATE_COLS " FROM feeds f ORDER BY f.name"},
    [S_LIST_ARTICLES] = {"list articles",
                         "SELECT a.id, f.name, a.guid, a.link, a.title,"
                         " (SELECT count(*) FROM versions v WHERE v.article_id = a.id),"
                         " a.first_seen, a.last_seen"
                         " FROM articles a JOIN feeds f ON f.id = a.feed_id"
                         " WHERE ?1 IS NULL OR f.name = ?1"
                         " ORDER BY a.first_seen DESC, a.id DESC LIMIT ?2"},
    /* The best-scoring match over the article's versions (the newest on a tie)
     * gives score, lang and paragraphs; coverage.score stands in when the
     * matcher recorded no row. */
    [S_LIST_COVERAGE] = {"list coverage",
                         "SELECT c.name, f.name, a.id, a.title, a.link,"
                         " COALESCE(m.score, cv.score), m.lang, m.paragraphs, cv.first_covered"
                         " FROM coverage cv"
                         " JOIN canonicals c ON c.id = cv.canonical_id"
                         " JOIN articles a ON a.id = cv.article_id"
                         " JOIN feeds f ON f.id = a.feed_id"
                         " LEFT JOIN matches m ON m.id = ("
                         "  SELECT m2.id FROM matches m2 JOIN versions v ON v.id = m2.version_id"
                         "  WHERE v.article_id = cv.article_id"
                         "  AND m2.canonical_id = cv.canonical_id"
                         "  ORDER BY m2.score DESC, v.version_no DESC LIMIT 1)"
                         " WHERE ?1 IS NULL OR c.name = ?1"
                         " ORDER BY c.name, cv.first_covered, a.id"},
    [S_PAGE_ADD] = {"add page", "INSERT INTO pages (article_id, url, next_fetch)"
                                " VALUES (?1, ?2, ?3) ON CONFLICT (article_id) DO NOTHING"},
    [S_PAGES_DUE] = {"read due pages", "SELECT " PAGE_COLS " FROM " PAGE_FROM
                                       " WHERE p.next_fetch IS NOT NULL AND p.next_fetch <= ?1"
                                       " ORDER BY p.next_fetch, p.article_id LIMIT ?2"},
    [S_PAGE_NEXT_DUE] = {"read next page due", "SELECT coalesce(min(next_fetch), 0) FROM pages"
                                               " WHERE next_fetch IS NOT NULL"},
    [S_PAGE_GET] = {"read page", "SELECT " PAGE_COLS " FROM " PAGE_FROM " WHERE p.article_id = ?1"},
    [S_PAGE_PUT] = {"write page",
                    "UPDATE pages SET pending = ?2, fetches = ?3, next_fetch = ?4, last_fetch = ?5,"
                    " last_status = ?6, last_error = ?7, unpublished = ?8 WHERE article_id = ?1"},
    [S_PAGE_TOTALS] = {"count pages", "SELECT count(*), coalesce(sum(fetches), 0) FROM pages"},
    /* version_no 0 (or less): the newest */
    [S_VERSION_GET] = {"read version",
                       "SELECT v.id, v.article_id, v.version_no, v.title, v.text, v.source,"
                       " v.fetched_at, a.link, a.title, f.name"
                       " FROM versions v JOIN articles a ON a.id = v.article_id"
                       " JOIN feeds f ON f.id = a.feed_id"
                       " WHERE v.article_id = ?1 AND (?2 <= 0 OR v.version_no = ?2)"
                       " ORDER BY v.version_no DESC LIMIT 1"},
    /* The next number, and the publication date of the newest version: a
     * page edit does not change when the story was published. */
    [S_VERSION_ADD] = {"add version",
                       "INSERT INTO versions (article_id, version_no, title, author, text,"
                       " text_hash, published, fetched_at, source)"
                       " SELECT ?1, coalesce(max(v.version_no), 0) + 1, ?2, ?3, ?4, ?5,"
                       " (SELECT published FROM versions WHERE article_id = ?1"
                       "  ORDER BY version_no DESC LIMIT 1), ?6, ?7"
                       " FROM versions v WHERE v.article_id = ?1 RETURNING id, version_no"},
    [S_VERSION_SET_TEXT] = {"replace version text",
                            "UPDATE versions SET title = coalesce(?2, title),"
                            " author = coalesce(?3, author), text = ?4, text_hash = ?5,"
                            " source = ?6 WHERE id = ?1"},
    [S_LIST_VERSIONS] = {"list versions",
                         "SELECT version_no, id, title, source, fetched_at, length(text)"
                         " FROM versions WHERE article_id = ?1 ORDER BY version_no"},
    [S_COVERAGE_ACTIVE] = {"read coverage", "SELECT active FROM coverage"
                                            " WHERE article_id = ?1 AND canonical_id = ?2"},
    [S_COVERAGE_LOSE] = {"mark coverage lost",
                         "UPDATE coverage SET active = 0"
                         " WHERE article_id = ?1 AND canonical_id = ?2 AND active = 1"},
    [S_REPORT_CANONICALS] = {"list canonicals",
                             "SELECT c.id, c.name, c.text,"
                             " (SELECT count(*) FROM coverage cv WHERE cv.canonical_id = c.id),"
                             " (SELECT count(DISTINCT a.feed_id) FROM coverage cv"
                             "  JOIN articles a ON a.id = cv.article_id"
                             "  WHERE cv.canonical_id = c.id)"
                             " FROM canonicals c ORDER BY c.name"},
    /* As S_LIST_COVERAGE (the best match gives score, lang, paragraphs and
     * detail), plus what the report's table and timeline show. */
    [S_REPORT_COVERAGE] = {"list covering articles",
                           "SELECT a.id, f.name, a.title, a.link, a.first_seen,"
                           " (SELECT v1.published FROM versions v1 WHERE v1.article_id = a.id"
                           "  ORDER BY v1.version_no LIMIT 1),"
                           " cv.first_covered, cv.active,"
                           " (SELECT count(*) FROM versions v2 WHERE v2.article_id = a.id),"
                           " COALESCE(m.score, cv.score), m.lang, m.paragraphs, m.detail,"
                           " v.version_no"
                           " FROM coverage cv JOIN articles a ON a.id = cv.article_id"
                           " JOIN feeds f ON f.id = a.feed_id"
                           " LEFT JOIN matches m ON m.id = (" REPORT_BEST_MATCH ")"
                           " LEFT JOIN versions v ON v.id = m.version_id"
                           " WHERE cv.canonical_id = ?1 ORDER BY cv.first_covered, a.id"},
    /* The version that first covered: what propagation compares. */
    [S_REPORT_TEXTS] = {"read covering texts",
                        "SELECT cv.article_id, v.text FROM coverage cv"
                        " JOIN versions v ON v.id = cv.first_version_id"
                        " WHERE cv.canonical_id = ?1 ORDER BY cv.first_covered, cv.article_id"},
    [S_REPORT_ARTICLE] = {"read article",
                          "SELECT a.id, f.name, a.guid, a.link, a.title,"
                          " (SELECT count(*) FROM versions v WHERE v.article_id = a.id),"
                          " a.first_seen, a.last_seen"
                          " FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?1"},
    [S_REPORT_MATCHES] = {"read article matches",
                          "SELECT c.id, c.name, c.text, v.version_no, COALESCE(m.score, cv.score),"
                          " m.lang, m.paragraphs, m.detail, cv.active, cv.first_covered"
                          " FROM coverage cv JOIN canonicals c ON c.id = cv.canonical_id"
                          " LEFT JOIN matches m ON m.id = (" REPORT_BEST_MATCH ")"
                          " LEFT JOIN versions v ON v.id = m.version_id"
                          " WHERE cv.article_id = ?1 ORDER BY c.name"},
    [S_COUNT_FEEDS] = {"count feeds", "SELECT count(*) FROM feeds"},
    [S_COUNT_ARTICLES] = {"count articles", "SELECT count(*) FROM articles"},
    [S_COUNT_VERSIONS] = {"count versions", "SELECT count(*) FROM versions"},
    [S_COUNT_CANONICALS] = {"count canonicals", "SELECT count(*) FROM canonicals"},
    [S_COUNT_MATCHES] = {"count matches", "SELECT count(*) FROM matches"},
    [S_COUNT_COVERAGE] = {"count coverage", "SELECT count(*) FROM coverage"},
    [S_COUNT_ALERTS] = {"count alerts", "SELECT count(*) FROM alerts"},
    [S_COUNT_DELIVERIES] = {"count deliveries", "SELECT count(*) FROM deliveries"},
};

/* The only table names store_count accepts, in S_COUNT_* order. */
static const char *const count_tables[] = {
    "feeds", "articles", "versions", "canonicals", "matches", "coverage", "alerts", "deliveries",
};
_Static_assert(sizeof count_tables / sizeof count_tables[0] ==
                   S_COUNT_DELIVERIES - S_COUNT_FEEDS + 1,
               "count_tables[] and S_COUNT_* differ");

struct sqlite_store {
    sqlite3 *db;
    sqlite3_stmt *s[S__N];
};

/* ---- helpers ---- */

/* 64-bit FNV-1a: cheap, and only used to skip most text comparisons. The
 * cast keeps the bit pattern (two's complement), so it round-trips INTEGER. */
static int64_t text_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return (int64_t)h;
}

/* Makes the statement reusable: reset ends any read it holds open, and
 * clearing the bindings keeps a stale value from leaking into the next call. */
static void stmt_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Fills err for a failed step of statement id; rc is what the step returned.
 * A ROW or DONE where the other was expected is not an SQLite error, so
 * sqlite3_errmsg would say "not an error". Resets the statement. */
static int db_fail(struct sqlite_store *st, enum stmt id, int rc, char *err, size_t errsz)
{
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        pw_err(err, errsz, "store: %s: unexpected %s", stmt_defs[id].what,
               rc == SQLITE_ROW ? "row" : "empty result");
    else
        pw_err(err, errsz, "store: %s: %s", stmt_defs[id].what, sqlite3_errmsg(st->db));
    stmt_done(st->s[id]);
    return -1;
}

/* NULL binds SQL NULL. SQLITE_STATIC: every value outlives the step. */
static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* 0 (unknown time) binds NULL. */
static int bind_time(sqlite3_stmt *s, int i, time_t t)
{
    return t ? sqlite3_bind_int64(s, i, (sqlite3_int64)t) : sqlite3_bind_null(s, i);
}

/* Runs statement id to completion, ignoring rows. */
static int exec_stmt(struct sqlite_store *st, enum stmt id, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[id];
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE)
        return db_fail(st, id, rc, err, errsz);
    stmt_done(s);
    return 0;
}

/* Steps a statement that must yield exactly one row, stores its first
 * column in *v, and resets it. */
static int step_one_int64(struct sqlite_store *st, enum stmt id, int64_t *v, char *err,
                          size_t errsz)
{
    sqlite3_stmt *s = st->s[id];
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        return db_fail(st, id, rc, err, errsz);
    *v = sqlite3_column_int64(s, 0);
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        return db_fail(st, id, rc, err, errsz);
    stmt_done(s);
    return 0;
}

/* Runs an UPDATE that must touch one row; what_row names it in the error. */
static int exec_update_one(struct sqlite_store *st, enum stmt id, const char *what_row, char *err,
                           size_t errsz)
{
    if (exec_stmt(st, id, err, errsz) < 0)
        return -1;
    if (sqlite3_changes(st->db) != 1)
        return pw_err(err, errsz, "store: %s: no such %s", stmt_defs[id].what, what_row);
    return 0;
}

/*
 * Operations writing several rows must be all-or-nothing. Outside a
 * transaction they open their own BEGIN IMMEDIATE (taking the write lock up
 * front, so the busy timeout applies instead of a deadlock on upgrade); inside
 * the caller's, a savepoint undoes just this operation on failure and leaves
 * the caller free to go on or roll back.
 */
static int op_begin(struct sqlite_store *st, int *own, char *err, size_t errsz)
{
    *own = sqlite3_get_autocommit(st->db) != 0;
    return exec_stmt(st, *own ? S_BEGIN : S_SAVEPOINT, err, errsz);
}

/* ok: the operation succeeded; err already holds the message when it did not. */
static int op_end(struct sqlite_store *st, int own, int ok, char *err, size_t errsz)
{
    if (ok && exec_stmt(st, own ? S_COMMIT : S_RELEASE, err, errsz) == 0)
        return 0;
    /* Some errors (full disk, I/O) already rolled back the whole transaction. */
    if (!sqlite3_get_autocommit(st->db)) {
        if (own) {
            exec_stmt(st, S_ROLLBACK, NULL, 0);
        } else {
            exec_stmt(st, S_ROLLBACK_TO, NULL, 0);
            exec_stmt(st, S_RELEASE, NULL, 0);
        }
    }
    return -1;
}

/* ---- open, migrate, close ---- */

static int read_user_version(sqlite3 *db, int *v, char *err, size_t errsz)
{
    sqlite3_stmt *s = NULL;
    *v = 0;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            *v = sqlite3_column_int(s, 0);
    }
    if (rc != SQLITE_ROW) {
        pw_err(err, errsz, "store: read schema version: %s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    return 0;
}

/* Runs a fixed SQL script (setup and migrations only; no parameters). */
static int exec_script(sqlite3 *db, const char *sql, const char *what, char *err, size_t errsz)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return pw_err(err, errsz, "store: %s: %s", what, sqlite3_errmsg(db));
    return 0;
}

/* Brings the schema up to N_MIGRATIONS, one transaction per step. The version
 * is read again under the write lock because another process (the daemon and
 * the CLI share the file) may have migrated meanwhile. */
static int migrate(sqlite3 *db, char *err, size_t errsz)
{
    int v;
    if (read_user_version(db, &v, err, errsz) < 0)
        return -1;
    if (v > N_MIGRATIONS)
        return pw_err(err, errsz,
                      "store: database schema version %d is newer than this program supports "
                      "(%d); upgrade presswatch",
                      v, N_MIGRATIONS);
    while (v < N_MIGRATIONS) {
        char what[64], set[64];
        if (exec_script(db, "BEGIN IMMEDIATE", "migrate schema", err, errsz) < 0)
            return -1;
        if (read_user_version(db, &v, err, errsz) < 0)
            goto fail;
        if (v > N_MIGRATIONS) {
            pw_err(err, errsz,
                   "store: database schema version %d is newer than this program "
                   "supports (%d); upgrade presswatch",
                   v, N_MIGRATIONS);
            goto fail;
        }
        if (v == N_MIGRATIONS)
            break; /* someone else finished it */
        int n1 = snprintf(what, sizeof what, "migrate schema to version %d", v + 1);
        int n2 = snprintf(set, sizeof set, "PRAGMA user_version = %d", v + 1);
        if (n1 < 0 || (size_t)n1 >= sizeof what || n2 < 0 || (size_t)n2 >= sizeof set) {
            pw_err(err, errsz, "store: migrate schema: bad version %d", v + 1);
            goto fail;
        }
        if (exec_script(db, migrations[v], what, err, errsz) < 0 ||
            exec_script(db, set, what, err, errsz) < 0 ||
            exec_script(db, "COMMIT", what, err, errsz) < 0)
            goto fail;
        v++;
    }
    if (!sqlite3_get_autocommit(db) && exec_script(db, "COMMIT", "migrate schema", err, errsz) < 0)
        goto fail;
    return 0;
fail:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int sqlite_store_open(const char *path, struct sqlite_store **out, char *err, size_t errsz)
{
    struct sqlite_store *st = NULL;
    *out = NULL;
    if (!path)
        return pw_err(err, errsz, "store: open: no database path");
    st = calloc(1, sizeof *st);
    if (!st)
        return pw_err(err, errsz, "store: open %s: out of memory", path);

    /* URI names let callers ask for ?mode=ro; plain paths are unaffected. */
    int rc = sqlite3_open_v2(path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        pw_err(err, errsz, "store: open %s: %s", path,
               st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    /* DEFENSIVE: no schema corruption through SQL. DQS off: "x" is an
     * identifier, never a string, as in PostgreSQL. Untrusted schema: no
     * functions with side effects from views or triggers in a foreign file. */
    if (sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
        sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL) != SQLITE_OK ||
        sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL) != SQLITE_OK ||
        sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK) {
        pw_err(err, errsz, "store: open %s: configure: %s", path, sqlite3_errmsg(st->db));
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 5000);
    /* WAL lets the CLI read while the daemon writes; NORMAL is durable
     * enough with WAL (a power cut may lose the last commits, never corrupts). */
    /* The first statements read the file: name it, for "not a database",
     * "malformed" or "readonly". */
    char what[300];
    snprintf(what, sizeof what, "open %s", path);
    /* Memory is bounded by design, whatever the SQLite build's defaults: a
     * 2 MiB page cache per connection (SQLITE_DEFAULT_CACHE_SIZE may be
     * larger), and no memory map of the file (SQLITE_DEFAULT_MMAP_SIZE),
     * which would bring the growing database into the daemon's RSS. A long
     * run fills the cache once and stays there (bench_soak --day). */
    if (exec_script(st->db,
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA journal_mode = WAL;"
                    "PRAGMA synchronous = NORMAL;"
                    "PRAGMA cache_size = -2000;"
                    "PRAGMA mmap_size = 0;",
                    what, err, errsz) < 0)
        goto fail;
    if (migrate(st->db, err, errsz) < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err);
        pw_err(err, errsz, "%s: %s", path, msg);
        goto fail;
    }

    for (int i = 0; i < S__N; i++) {
        if (sqlite3_prepare_v3(st->db, stmt_defs[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &st->s[i],
                               NULL) != SQLITE_OK) {
            pw_err(err, errsz, "store: prepare %s: %s", stmt_defs[i].what, sqlite3_errmsg(st->db));
            goto fail;
        }
    }
    *out = st;
    return 0;
fail:
    sqlite_store_close(st);
    return -1;
}

void sqlite_store_close(struct sqlite_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < S__N; i++)
        sqlite3_finalize(st->s[i]);
    /* Keeps the planner's statistics fresh; cheap, and a failure (read-only
     * file) changes nothing. Closing rolls back an open transaction. */
    if (st->db && sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL, NULL);
    sqlite3_close(st->db);
    free(st);
}

void sqlite_store_memory(struct sqlite_store *st, struct store_memory *out)
{
    int cur = 0, hi = 0;
    out->used = sqlite3_memory_used();
    out->cache =
        sqlite3_db_status(st->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0) == SQLITE_OK ? cur : -1;
}

/* ---- transactions ---- */

int sqlite_store_begin(struct sqlite_store *st, char *err, size_t errsz)
{
    return exec_stmt(st, S_BEGIN, err, errsz);
}

int sqlite_store_commit(struct sqlite_store *st, char *err, size_t errsz)
{
    return exec_stmt(st, S_COMMIT, err, errsz);
}

void sqlite_store_rollback(struct sqlite_store *st)
{
    if (st && !sqlite3_get_autocommit(st->db))
        exec_stmt(st, S_ROLLBACK, NULL, 0);
}

/* ---- configuration ---- */

int sqlite_store_feed_sync(struct sqlite_store *st, const char *name, const char *url,
                           int64_t *feed_id, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_FEED_SYNC];
    if (!name || !url)
        return pw_err(err, errsz, "store: sync feed: name and url are required");
    if (bind_text(s, 1, name) != SQLITE_OK || bind_text(s, 2, url) != SQLITE_OK)
        return db_fail(st, S_FEED_SYNC, SQLITE_ERROR, err, errsz);
    return step_one_int64(st, S_FEED_SYNC, feed_id, err, errsz);
}

int sqlite_store_canonical_sync(struct sqlite_store *st, const char *name, const char *path,
                                const char *text, int64_t *canonical_id, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_CANONICAL_SYNC];
    if (!name || !text)
        return pw_err(err, errsz, "store: sync canonical: name and text are required");
    if (bind_text(s, 1, name) != SQLITE_OK || bind_text(s, 2, path) != SQLITE_OK ||
        bind_text(s, 3, text) != SQLITE_OK ||
        sqlite3_bind_int64(s, 4, text_hash(text, strlen(text))) != SQLITE_OK)
        return db_fail(st, S_CANONICAL_SYNC, SQLITE_ERROR, err, errsz);
    return step_one_int64(st, S_CANONICAL_SYNC, canonical_id, err, errsz);
}

int sqlite_store_feed_result(struct sqlite_store *st, int64_t feed_id, time_t when,
                             long http_status, const char *error, char *err, size_t errsz)
{
    enum stmt id = error ? S_FEED_FAILED : S_FEED_OK;
    sqlite3_stmt *s = st->s[id];
    /* status 0: no HTTP response at all (DNS, connect, timeout) */
    if (sqlite3_bind_int64(s, 1, feed_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, (sqlite3_int64)when) != SQLITE_OK ||
        (http_status ? sqlite3_bind_int64(s, 3, http_status) : sqlite3_bind_null(s, 3)) !=
            SQLITE_OK ||
        (error && bind_text(s, 4, error) != SQLITE_OK))
        return db_fail(st, id, SQLITE_ERROR, err, errsz);
    return exec_update_one(st, id, "feed", err, errsz);
}

/* ---- articles and versions ---- */

/* Finds or inserts the article; sets out->article_id and out->new_article. */
static int article_upsert(struct sqlite_store *st, int64_t feed_id, const struct store_item *item,
                          time_t now, struct store_upsert *out, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_ARTICLE_INSERT];
    if (sqlite3_bind_int64(s, 1, feed_id) != SQLITE_OK || bind_text(s, 2, item->guid) ||
        bind_text(s, 3, item->link) || bind_text(s, 4, item->title) ||
        sqlite3_bind_int64(s, 5, (sqlite3_int64)now) != SQLITE_OK)
        return db_fail(st, S_ARTICLE_INSERT, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->article_id = sqlite3_column_int64(s, 0);
        out->new_article = 1;
        rc = sqlite3_step(s);
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_ARTICLE_INSERT, rc, err, errsz);
    stmt_done(s);
    if (out->new_article)
        return 0;

    s = st->s[S_ARTICLE_TOUCH];
    if (sqlite3_bind_int64(s, 1, feed_id) != SQLITE_OK || bind_text(s, 2, item->guid) ||
        sqlite3_bind_int64(s, 3, (sqlite3_int64)now) != SQLITE_OK || bind_text(s, 4, item->link) ||
        bind_text(s, 5, item->title))
        return db_fail(st, S_ARTICLE_TOUCH, SQLITE_ERROR, err, errsz);
    return step_one_int64(st, S_ARTICLE_TOUCH, &out->article_id, err, errsz);
}

/* Reads the newest version of out->article_id. *same: its text equals text.
 * When it differs, *prev (caller frees) is a copy of it. No version at all
 * leaves version_no 0. */
static int version_latest(struct sqlite_store *st, const char *text, size_t len, int64_t hash,
                          struct store_upsert *out, int *same, char **prev, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_VERSION_LATEST];
    *same = 0;
    *prev = NULL;
    if (sqlite3_bind_int64(s, 1, out->article_id) != SQLITE_OK)
        return db_fail(st, S_VERSION_LATEST, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        stmt_done(s);
        return 0;
    }
    if (rc != SQLITE_ROW)
        return db_fail(st, S_VERSION_LATEST, rc, err, errsz);
    out->version_id = sqlite3_column_int64(s, 0);
    out->version_no = sqlite3_column_int(s, 1);
    int64_t old_hash = sqlite3_column_int64(s, 2);
    const char *old = (const char *)sqlite3_column_text(s, 3);
    size_t old_len = (size_t)sqlite3_column_bytes(s, 3);
    if (!old) {
        stmt_done(s);
        return pw_err(err, errsz, "store: %s: out of memory", stmt_defs[S_VERSION_LATEST].what);
    }
    /* Byte comparison, not collation: any change in the text is a version.
     * Once a version came from the article's page, the page is the article:
     * the feed's teaser seen again is no edit. */
    const char *source = (const char *)sqlite3_column_text(s, 4);
    *same = (source && !strcmp(source, "page")) ||
            (old_hash == hash && old_len == len && memcmp(old, text, len) == 0);
    if (!*same) {
        *prev = malloc(old_len + 1);
        if (!*prev) {
            stmt_done(s);
            return pw_err(err, errsz, "store: %s: out of memory", stmt_defs[S_VERSION_LATEST].what);
        }
        memcpy(*prev, old, old_len + 1);
    }
    stmt_done(s);
    return 0;
}

static int version_insert(struct sqlite_store *st, const struct store_item *item, int64_t hash,
                          time_t now, struct store_upsert *out, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_VERSION_INSERT];
    int no = out->version_no + 1;
    if (sqlite3_bind_int64(s, 1, out->article_id) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, no) != SQLITE_OK || bind_text(s, 3, item->title) ||
        bind_text(s, 4, item->author) || bind_text(s, 5, item->summary) ||
        bind_text(s, 6, item->content) || bind_text(s, 7, item->text) ||
        sqlite3_bind_int64(s, 8, hash) != SQLITE_OK || bind_time(s, 9, item->published) ||
        bind_time(s, 10, item->updated) ||
        sqlite3_bind_int64(s, 11, (sqlite3_int64)now) != SQLITE_OK)
        return db_fail(st, S_VERSION_INSERT, SQLITE_ERROR, err, errsz);
    if (step_one_int64(st, S_VERSION_INSERT, &out->version_id, err, errsz) < 0)
        return -1;
    out->version_no = no;
    out->new_version = 1;
    return 0;
}

int sqlite_store_upsert_item(struct sqlite_store *st, int64_t feed_id,
                             const struct store_item *item, time_t now, struct store_upsert *out,
                             char *err, size_t errsz)
{
    char *prev = NULL;
    int own, same = 0, ok = 0;

    memset(out, 0, sizeof *out);
    if (!item || !item->guid || !item->text)
        return pw_err(err, errsz, "store: upsert item: guid and text are required");
    size_t len = strlen(item->text);
    int64_t hash = text_hash(item->text, len);

    if (op_begin(st, &own, err, errsz) < 0)
        return -1;
    if (article_upsert(st, feed_id, item, now, out, err, errsz) < 0)
        goto done;
    if (!out->new_article &&
        version_latest(st, item->text, len, hash, out, &same, &prev, err, errsz) < 0)
        goto done;
    if (!same && version_insert(st, item, hash, now, out, err, errsz) < 0)
        goto done;
    ok = 1;
done:
    if (op_end(st, own, ok, err, errsz) < 0) {
        free(prev);
        memset(out, 0, sizeof *out);
        return -1;
    }
    if (out->new_version && out->version_no > 1)
        out->prev_text = prev;
    else
        free(prev);
    return 0;
}

/* ---- matches and coverage ---- */

int sqlite_store_match_add(struct sqlite_store *st, int64_t version_id, int64_t canonical_id,
                           double score, const char *lang, const char *paragraphs,
                           const char *detail_json, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_MATCH_ADD];
    if (sqlite3_bind_int64(s, 1, version_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, canonical_id) != SQLITE_OK ||
        sqlite3_bind_double(s, 3, score) != SQLITE_OK || bind_text(s, 4, lang) ||
        bind_text(s, 5, paragraphs ? paragraphs : "") || bind_text(s, 6, detail_json))
        return db_fail(st, S_MATCH_ADD, SQLITE_ERROR, err, errsz);
    return exec_stmt(st, S_MATCH_ADD, err, errsz);
}

int sqlite_store_coverage_mark(struct sqlite_store *st, int64_t article_id, int64_t canonical_id,
                               int64_t version_id, double score, time_t now, int *first, char *err,
                               size_t errsz)
{
    sqlite3_stmt *s = st->s[S_COVERAGE_MARK];
    *first = 0;
    if (sqlite3_bind_int64(s, 1, article_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, canonical_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 3, version_id) != SQLITE_OK ||
        sqlite3_bind_double(s, 4, score) != SQLITE_OK ||
        sqlite3_bind_int64(s, 5, (sqlite3_int64)now) != SQLITE_OK)
        return db_fail(st, S_COVERAGE_MARK, SQLITE_ERROR, err, errsz);
    /* A row comes back only when the insert happened, i.e. the first time. */
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *first = 1;
        rc = sqlite3_step(s);
    }
    if (rc != SQLITE_DONE) {
        *first = 0;
        return db_fail(st, S_COVERAGE_MARK, rc, err, errsz);
    }
    stmt_done(s);
    return 0;
}

int sqlite_store_article_is_covered(struct sqlite_store *st, int64_t article_id, int *covered,
                                    char *err, size_t errsz)
{
    int64_t v = 0;
    if (sqlite3_bind_int64(st->s[S_ARTICLE_COVERED], 1, article_id) != SQLITE_OK)
        return db_fail(st, S_ARTICLE_COVERED, SQLITE_ERROR, err, errsz);
    if (step_one_int64(st, S_ARTICLE_COVERED, &v, err, errsz) < 0)
        return -1;
    *covered = v != 0;
    return 0;
}

/* ---- alert outbox ---- */

int sqlite_store_alert_add(struct sqlite_store *st, const char *kind, const char *record,
                           time_t now, const char *const *channels, size_t nchannels,
                           int64_t *alert_id, char *err, size_t errsz)
{
    int own, ok = 0;
    int64_t id = 0;

    if (!kind || !record || (nchannels && !channels))
        return pw_err(err, errsz, "store: add alert: kind, record and channels are required");
    for (size_t i = 0; i < nchannels; i++)
        if (!channels[i])
            return pw_err(err, errsz, "store: add alert: channel %zu is NULL", i);
    if (op_begin(st, &own, err, errsz) < 0)
        return -1;

    sqlite3_stmt *s = st->s[S_ALERT_INSERT];
    if (sqlite3_bind_int64(s, 1, (sqlite3_int64)now) != SQLITE_OK || bind_text(s, 2, kind) ||
        bind_text(s, 3, record)) {
        db_fail(st, S_ALERT_INSERT, SQLITE_ERROR, err, errsz);
        goto done;
    }
    if (step_one_int64(st, S_ALERT_INSERT, &id, err, errsz) < 0)
        goto done;

    s = st->s[S_DELIVERY_INSERT];
    for (size_t i = 0; i < nchannels; i++) {
        if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK || bind_text(s, 2, channels[i]) ||
            sqlite3_bind_int64(s, 3, (sqlite3_int64)now) != SQLITE_OK) {
            db_fail(st, S_DELIVERY_INSERT, SQLITE_ERROR, err, errsz);
            goto done;
        }
        if (exec_stmt(st, S_DELIVERY_INSERT, err, errsz) < 0)
            goto done;
    }
    ok = 1;
done:
    if (op_end(st, own, ok, err, errsz) < 0)
        return -1;
    if (alert_id)
        *alert_id = id;
    return 0;
}

int sqlite_store_delivery_due(struct sqlite_store *st, const char *channel, time_t now, int limit,
                              store_delivery_cb cb, void *arg, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_DELIVERY_DUE];
    int rc;
    if (!channel || !cb)
        return pw_err(err, errsz, "store: read due deliveries: channel and callback required");
    /* LIMIT -1: no limit */
    if (bind_text(s, 1, channel) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, (sqlite3_int64)now) != SQLITE_OK ||
        sqlite3_bind_int(s, 3, limit > 0 ? limit : -1) != SQLITE_OK)
        return db_fail(st, S_DELIVERY_DUE, SQLITE_ERROR, err, errsz);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_delivery d = {
            .alert_id = sqlite3_column_int64(s, 0),
            .kind = (const char *)sqlite3_column_text(s, 1),
            .record = (const char *)sqlite3_column_text(s, 2),
            .channel = (const char *)sqlite3_column_text(s, 3),
            .attempts = sqlite3_column_int(s, 4),
            .cut_off = sqlite3_column_int(s, 5),
        };
        if (!d.kind || !d.record || !d.channel) {
            stmt_done(s);
            return pw_err(err, errsz, "store: read due deliveries: out of memory");
        }
        if (cb(&d, arg) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_DELIVERY_DUE, rc, err, errsz);
    stmt_done(s);
    return 0;
}

/* The outbox's row updates: alert ?1, channel ?2, a time ?3 and, when the
 * statement has one, the error ?4. */
static int delivery_update(struct sqlite_store *st, enum stmt which, int64_t alert_id,
                           const char *channel, time_t t, const char *error, char *err,
                           size_t errsz)
{
    sqlite3_stmt *s = st->s[which];
    if (sqlite3_bind_int64(s, 1, alert_id) != SQLITE_OK || bind_text(s, 2, channel) ||
        sqlite3_bind_int64(s, 3, (sqlite3_int64)t) != SQLITE_OK ||
        (which == S_DELIVERY_FAILED && bind_text(s, 4, error)))
        return db_fail(st, which, SQLITE_ERROR, err, errsz);
    return exec_update_one(st, which, "pending delivery", err, errsz);
}

int sqlite_store_delivery_done(struct sqlite_store *st, int64_t alert_id, const char *channel,
                               time_t now, char *err, size_t errsz)
{
    return delivery_update(st, S_DELIVERY_DONE, alert_id, channel, now, NULL, err, errsz);
}

int sqlite_store_delivery_failed(struct sqlite_store *st, int64_t alert_id, const char *channel,
                                 time_t next_attempt, const char *error, char *err, size_t errsz)
{
    return delivery_update(st, S_DELIVERY_FAILED, alert_id, channel, next_attempt, error, err,
                           errsz);
}

int sqlite_store_delivery_sending(struct sqlite_store *st, int64_t alert_id, const char *channel,
                                  time_t now, char *err, size_t errsz)
{
    return delivery_update(st, S_DELIVERY_SENDING, alert_id, channel, now, NULL, err, errsz);
}

int sqlite_store_delivery_sent_stats(struct sqlite_store *st, const char *channel, time_t since,
                                     int64_t *messages, time_t *last_sent, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_DELIVERY_SENT_STATS];
    if (bind_text(s, 1, channel) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, (sqlite3_int64)since) != SQLITE_OK)
        return db_fail(st, S_DELIVERY_SENT_STATS, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        return db_fail(st, S_DELIVERY_SENT_STATS, rc, err, errsz);
    *messages = sqlite3_column_int64(s, 0);
    *last_sent = (time_t)sqlite3_column_int64(s, 1);
    stmt_done(s);
    return 0;
}

int sqlite_store_delivery_backlog(struct sqlite_store *st, const char *channel, int64_t *pending,
                                  char *err, size_t errsz)
{
    if (bind_text(st->s[S_DELIVERY_BACKLOG], 1, channel) != SQLITE_OK)
        return db_fail(st, S_DELIVERY_BACKLOG, SQLITE_ERROR, err, errsz);
    return step_one_int64(st, S_DELIVERY_BACKLOG, pending, err, errsz);
}

int sqlite_store_delivery_oldest_due(struct sqlite_store *st, const char *channel, time_t now,
                                     time_t *created, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_DELIVERY_OLDEST_DUE];
    int64_t v;
    if (bind_text(s, 1, channel) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, (sqlite3_int64)now) != SQLITE_OK)
        return db_fail(st, S_DELIVERY_OLDEST_DUE, SQLITE_ERROR, err, errsz);
    if (step_one_int64(st, S_DELIVERY_OLDEST_DUE, &v, err, errsz) < 0)
        return -1;
    *created = (time_t)v;
    return 0;
}

/* ---- poll bookkeeping ---- */

static char *col_strdup(sqlite3_stmt *s, int i, int *oom)
{
    const unsigned char *v = sqlite3_column_text(s, i);
    if (!v)
        return NULL;
    char *c = strdup((const char *)v);
    if (!c)
        *oom = 1;
    return c;
}

/* Copies the current row of a FEED_STATE_COLS query into out (which owns
 * its strings). 0 or -1 on OOM. */
static int feed_state_read(sqlite3_stmt *s, struct store_feed_state *out)
{
    int oom = 0;
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    out->name = col_strdup(s, 1, &oom);
    out->url = col_strdup(s, 2, &oom);
    out->moved_url = col_strdup(s, 3, &oom);
    out->redirect_url = col_strdup(s, 4, &oom);
    out->redirect_count = sqlite3_column_int(s, 5);
    out->etag = col_strdup(s, 6, &oom);
    out->last_modified = col_strdup(s, 7, &oom);
    out->body_hash = sqlite3_column_int64(s, 8);
    out->unconditional = sqlite3_column_int(s, 9);
    out->last_unconditional = (time_t)sqlite3_column_int64(s, 10);
    out->last_attempt = (time_t)sqlite3_column_int64(s, 11);
    out->last_success = (time_t)sqlite3_column_int64(s, 12);
    out->next_due = (time_t)sqlite3_column_int64(s, 13);
    out->last_status = (long)sqlite3_column_int64(s, 14);
    out->last_error = col_strdup(s, 15, &oom);
    out->consecutive_failures = sqlite3_column_int(s, 16);
    out->error_alerted = sqlite3_column_int(s, 17);
    out->gone = sqlite3_column_int(s, 18);
    out->bytes = sqlite3_column_int64(s, 19);
    out->items_new = sqlite3_column_int(s, 20);
    out->items_seen = sqlite3_column_int(s, 21);
    out->adaptive_interval = sqlite3_column_int(s, 22);
    if (oom || !out->name || !out->url) {
        store_feed_state_clear(out);
        return -1;
    }
    return 0;
}

void store_feed_state_clear(struct store_feed_state *f)
{
    if (!f)
        return;
    free(f->name);
    free(f->url);
    free(f->moved_url);
    free(f->redirect_url);
    free(f->lease_node);
    free(f->etag);
    free(f->last_modified);
    free(f->last_error);
    memset(f, 0, sizeof *f);
}

int sqlite_store_feed_state_get(struct sqlite_store *st, int64_t feed_id,
                                struct store_feed_state *out, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_FEED_STATE_GET];
    if (sqlite3_bind_int64(s, 1, feed_id) != SQLITE_OK)
        return db_fail(st, S_FEED_STATE_GET, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        stmt_done(s);
        return pw_err(err, errsz, "store: read feed state: no such feed");
    }
    if (rc != SQLITE_ROW)
        return db_fail(st, S_FEED_STATE_GET, rc, err, errsz);
    rc = feed_state_read(s, out);
    stmt_done(s);
    return rc < 0 ? pw_err(err, errsz, "store: read feed state: out of memory") : 0;
}

int sqlite_store_feed_state_put(struct sqlite_store *st, const struct store_feed_state *f,
                                char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_FEED_STATE_PUT];
    if (sqlite3_bind_int64(s, 1, f->id) != SQLITE_OK || bind_text(s, 2, f->moved_url) ||
        bind_text(s, 3, f->redirect_url) || sqlite3_bind_int(s, 4, f->redirect_count) ||
        bind_text(s, 5, f->etag) || bind_text(s, 6, f->last_modified) ||
        sqlite3_bind_int64(s, 7, f->body_hash) || sqlite3_bind_int(s, 8, f->unconditional) ||
        bind_time(s, 9, f->last_unconditional) || bind_time(s, 10, f->last_attempt) ||
        bind_time(s, 11, f->last_success) || bind_time(s, 12, f->next_due) ||
        (f->last_status ? sqlite3_bind_int64(s, 13, f->last_status) : sqlite3_bind_null(s, 13)) ||
        bind_text(s, 14, f->last_error) || sqlite3_bind_int(s, 15, f->consecutive_failures) ||
        sqlite3_bind_int(s, 16, f->error_alerted) || sqlite3_bind_int(s, 17, f->gone) ||
        sqlite3_bind_int64(s, 18, f->bytes) || sqlite3_bind_int(s, 19, f->items_new) ||
        sqlite3_bind_int(s, 20, f->items_seen) || sqlite3_bind_int(s, 21, f->adaptive_interval))
        return db_fail(st, S_FEED_STATE_PUT, SQLITE_ERROR, err, errsz);
    return exec_update_one(st, S_FEED_STATE_PUT, "feed", err, errsz);
}

int sqlite_store_list_feeds(struct sqlite_store *st, store_feed_cb cb, void *arg, char *err,
                            size_t errsz)
{
    sqlite3_stmt *s = st->s[S_LIST_FEEDS];
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_feed_state f;
        if (feed_state_read(s, &f) < 0) {
            stmt_done(s);
            return pw_err(err, errsz, "store: list feeds: out of memory");
        }
        int stop = cb(&f, arg);
        store_feed_state_clear(&f);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_LIST_FEEDS, rc, err, errsz);
    stmt_done(s);
    return 0;
}

/* ---- reading ---- */

int sqlite_store_list_articles(struct sqlite_store *st, const char *feed, int limit,
                               store_article_cb cb, void *arg, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_LIST_ARTICLES];
    int rc;
    if (!cb)
        return pw_err(err, errsz, "store: list articles: no callback");
    if (bind_text(s, 1, feed) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, limit > 0 ? limit : -1) != SQLITE_OK)
        return db_fail(st, S_LIST_ARTICLES, SQLITE_ERROR, err, errsz);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_article_row r = {
            .article_id = sqlite3_column_int64(s, 0),
            .feed = (const char *)sqlite3_column_text(s, 1),
            .guid = (const char *)sqlite3_column_text(s, 2),
            .link = (const char *)sqlite3_column_text(s, 3),
            .title = (const char *)sqlite3_column_text(s, 4),
            .versions = sqlite3_column_int(s, 5),
            .first_seen = (time_t)sqlite3_column_int64(s, 6),
            .last_seen = (time_t)sqlite3_column_int64(s, 7),
        };
        if (!r.feed || !r.guid) {
            stmt_done(s);
            return pw_err(err, errsz, "store: list articles: out of memory");
        }
        if (cb(&r, arg) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_LIST_ARTICLES, rc, err, errsz);
    stmt_done(s);
    return 0;
}

int sqlite_store_list_coverage(struct sqlite_store *st, const char *canonical, store_coverage_cb cb,
                               void *arg, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_LIST_COVERAGE];
    int rc;
    if (!cb)
        return pw_err(err, errsz, "store: list coverage: no callback");
    if (bind_text(s, 1, canonical) != SQLITE_OK)
        return db_fail(st, S_LIST_COVERAGE, SQLITE_ERROR, err, errsz);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_coverage_row r = {
            .canonical = (const char *)sqlite3_column_text(s, 0),
            .feed = (const char *)sqlite3_column_text(s, 1),
            .article_id = sqlite3_column_int64(s, 2),
            .title = (const char *)sqlite3_column_text(s, 3),
            .link = (const char *)sqlite3_column_text(s, 4),
            .score = sqlite3_column_double(s, 5),
            .lang = (const char *)sqlite3_column_text(s, 6),
            .paragraphs = (const char *)sqlite3_column_text(s, 7),
            .first_covered = (time_t)sqlite3_column_int64(s, 8),
        };
        if (!r.canonical || !r.feed) {
            stmt_done(s);
            return pw_err(err, errsz, "store: list coverage: out of memory");
        }
        if (!r.paragraphs)
            r.paragraphs = ""; /* coverage without a recorded match */
        if (cb(&r, arg) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_LIST_COVERAGE, rc, err, errsz);
    stmt_done(s);
    return 0;
}

int sqlite_store_count(struct sqlite_store *st, const char *table, int64_t *n, char *err,
                       size_t errsz)
{
    for (size_t i = 0; table && i < sizeof count_tables / sizeof count_tables[0]; i++)
        if (strcmp(table, count_tables[i]) == 0)
            return step_one_int64(st, (enum stmt)(S_COUNT_FEEDS + (int)i), n, err, errsz);
    return pw_err(err, errsz, "store: count: unknown table \"%s\"", table ? table : "(null)");
}

/* ---- article pages and their versions ---- */

int sqlite_store_page_add(struct sqlite_store *st, int64_t article_id, const char *url,
                          time_t next_fetch, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_PAGE_ADD];
    if (!url)
        return pw_err(err, errsz, "store: add page: url is required");
    if (sqlite3_bind_int64(s, 1, article_id) != SQLITE_OK || bind_text(s, 2, url) ||
        sqlite3_bind_int64(s, 3, (sqlite3_int64)next_fetch) != SQLITE_OK)
        return db_fail(st, S_PAGE_ADD, SQLITE_ERROR, err, errsz);
    return exec_stmt(st, S_PAGE_ADD, err, errsz);
}

/* Copies the current row of a PAGE_COLS query into out (which owns its
 * strings). 0 or -1 on OOM. */
static int page_read(sqlite3_stmt *s, struct store_page *out)
{
    int oom = 0;
    memset(out, 0, sizeof *out);
    out->article_id = sqlite3_column_int64(s, 0);
    out->feed_id = sqlite3_column_int64(s, 1);
    out->feed = col_strdup(s, 2, &oom);
    out->url = col_strdup(s, 3, &oom);
    out->pending = sqlite3_column_int(s, 4);
    out->fetches = sqlite3_column_int(s, 5);
    out->next_fetch = (time_t)sqlite3_column_int64(s, 6);
    out->last_fetch = (time_t)sqlite3_column_int64(s, 7);
    out->last_status = (long)sqlite3_column_int64(s, 8);
    out->last_error = col_strdup(s, 9, &oom);
    out->unpublished = sqlite3_column_int(s, 10);
    out->title = col_strdup(s, 11, &oom);
    if (oom || !out->feed || !out->url) {
        store_page_clear(out);
        return -1;
    }
    return 0;
}

void store_page_clear(struct store_page *p)
{
    if (!p)
        return;
    free(p->feed);
    free(p->url);
    free(p->last_error);
    free(p->title);
    memset(p, 0, sizeof *p);
}

int sqlite_store_pages_due(struct sqlite_store *st, time_t now, int limit, store_page_cb cb,
                           void *arg, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_PAGES_DUE];
    int rc;
    if (sqlite3_bind_int64(s, 1, (sqlite3_int64)now) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, limit > 0 ? limit : -1) != SQLITE_OK)
        return db_fail(st, S_PAGES_DUE, SQLITE_ERROR, err, errsz);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_page p;
        if (page_read(s, &p) < 0) {
            stmt_done(s);
            return pw_err(err, errsz, "store: read due pages: out of memory");
        }
        int stop = cb(&p, arg);
        store_page_clear(&p);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_PAGES_DUE, rc, err, errsz);
    stmt_done(s);
    return 0;
}

int sqlite_store_page_next_due(struct sqlite_store *st, time_t *when, char *err, size_t errsz)
{
    int64_t v = 0;
    if (step_one_int64(st, S_PAGE_NEXT_DUE, &v, err, errsz) < 0)
        return -1;
    *when = (time_t)v;
    return 0;
}

int sqlite_store_page_get(struct sqlite_store *st, int64_t article_id, struct store_page *out,
                          char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_PAGE_GET];
    if (sqlite3_bind_int64(s, 1, article_id) != SQLITE_OK)
        return db_fail(st, S_PAGE_GET, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        stmt_done(s);
        return pw_err(err, errsz, "store: read page: no page for article %lld",
                      (long long)article_id);
    }
    if (rc != SQLITE_ROW)
        return db_fail(st, S_PAGE_GET, rc, err, errsz);
    rc = page_read(s, out);
    stmt_done(s);
    return rc < 0 ? pw_err(err, errsz, "store: read page: out of memory") : 0;
}

int sqlite_store_page_put(struct sqlite_store *st, const struct store_page *p, char *err,
                          size_t errsz)
{
    sqlite3_stmt *s = st->s[S_PAGE_PUT];
    if (sqlite3_bind_int64(s, 1, p->article_id) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, p->pending) != SQLITE_OK ||
        sqlite3_bind_int(s, 3, p->fetches) != SQLITE_OK || bind_time(s, 4, p->next_fetch) ||
        bind_time(s, 5, p->last_fetch) ||
        (p->last_status ? sqlite3_bind_int64(s, 6, p->last_status) : sqlite3_bind_null(s, 6)) ||
        bind_text(s, 7, p->last_error) || sqlite3_bind_int(s, 8, p->unpublished) != SQLITE_OK)
        return db_fail(st, S_PAGE_PUT, SQLITE_ERROR, err, errsz);
    return exec_update_one(st, S_PAGE_PUT, "page", err, errsz);
}

int sqlite_store_page_totals(struct sqlite_store *st, int64_t *pages, int64_t *fetches, char *err,
                             size_t errsz)
{
    sqlite3_stmt *s = st->s[S_PAGE_TOTALS];
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        return db_fail(st, S_PAGE_TOTALS, rc, err, errsz);
    *pages = sqlite3_column_int64(s, 0);
    *fetches = sqlite3_column_int64(s, 1);
    stmt_done(s);
    return 0;
}

void store_version_clear(struct store_version *v)
{
    if (!v)
        return;
    free(v->title);
    free(v->text);
    free(v->source);
    free(v->link);
    free(v->article_title);
    free(v->feed);
    memset(v, 0, sizeof *v);
}

int sqlite_store_version_get(struct sqlite_store *st, int64_t article_id, int version_no,
                             struct store_version *out, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_VERSION_GET];
    int oom = 0;
    memset(out, 0, sizeof *out);
    if (sqlite3_bind_int64(s, 1, article_id) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, version_no) != SQLITE_OK)
        return db_fail(st, S_VERSION_GET, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        stmt_done(s);
        return pw_err(err, errsz, "store: read version: article %lld has no version %d",
                      (long long)article_id, version_no);
    }
    if (rc != SQLITE_ROW)
        return db_fail(st, S_VERSION_GET, rc, err, errsz);
    out->id = sqlite3_column_int64(s, 0);
    out->article_id = sqlite3_column_int64(s, 1);
    out->version_no = sqlite3_column_int(s, 2);
    out->title = col_strdup(s, 3, &oom);
    out->text = col_strdup(s, 4, &oom);
    out->source = col_strdup(s, 5, &oom);
    out->fetched_at = (time_t)sqlite3_column_int64(s, 6);
    out->link = col_strdup(s, 7, &oom);
    out->article_title = col_strdup(s, 8, &oom);
    out->feed = col_strdup(s, 9, &oom);
    stmt_done(s);
    if (oom || !out->text || !out->source || !out->feed) {
        store_version_clear(out);
        return pw_err(err, errsz, "store: read version: out of memory");
    }
    return 0;
}

int sqlite_store_version_add(struct sqlite_store *st, const struct store_page_version *pv,
                             time_t now, int64_t *version_id, int *version_no, char *err,
                             size_t errsz)
{
    sqlite3_stmt *s = st->s[S_VERSION_ADD];
    if (!pv->text || !pv->source)
        return pw_err(err, errsz, "store: add version: text and source are required");
    if (sqlite3_bind_int64(s, 1, pv->article_id) != SQLITE_OK || bind_text(s, 2, pv->title) ||
        bind_text(s, 3, pv->author) || bind_text(s, 4, pv->text) ||
        sqlite3_bind_int64(s, 5, text_hash(pv->text, strlen(pv->text))) != SQLITE_OK ||
        sqlite3_bind_int64(s, 6, (sqlite3_int64)now) != SQLITE_OK || bind_text(s, 7, pv->source))
        return db_fail(st, S_VERSION_ADD, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        return db_fail(st, S_VERSION_ADD, rc, err, errsz);
    *version_id = sqlite3_column_int64(s, 0);
    *version_no = sqlite3_column_int(s, 1);
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        return db_fail(st, S_VERSION_ADD, rc, err, errsz);
    stmt_done(s);
    return 0;
}

int sqlite_store_version_set_text(struct sqlite_store *st, int64_t version_id,
                                  const struct store_page_version *pv, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_VERSION_SET_TEXT];
    if (!pv->text || !pv->source)
        return pw_err(err, errsz, "store: replace version text: text and source are required");
    if (sqlite3_bind_int64(s, 1, version_id) != SQLITE_OK || bind_text(s, 2, pv->title) ||
        bind_text(s, 3, pv->author) || bind_text(s, 4, pv->text) ||
        sqlite3_bind_int64(s, 5, text_hash(pv->text, strlen(pv->text))) != SQLITE_OK ||
        bind_text(s, 6, pv->source))
        return db_fail(st, S_VERSION_SET_TEXT, SQLITE_ERROR, err, errsz);
    return exec_update_one(st, S_VERSION_SET_TEXT, "version", err, errsz);
}

int sqlite_store_list_versions(struct sqlite_store *st, int64_t article_id, store_version_cb cb,
                               void *arg, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_LIST_VERSIONS];
    int rc;
    if (sqlite3_bind_int64(s, 1, article_id) != SQLITE_OK)
        return db_fail(st, S_LIST_VERSIONS, SQLITE_ERROR, err, errsz);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_version_row r = {
            .version_no = sqlite3_column_int(s, 0),
            .version_id = sqlite3_column_int64(s, 1),
            .title = (const char *)sqlite3_column_text(s, 2),
            .source = (const char *)sqlite3_column_text(s, 3),
            .fetched_at = (time_t)sqlite3_column_int64(s, 4),
            .text_bytes = (size_t)sqlite3_column_int64(s, 5),
        };
        if (!r.source) {
            stmt_done(s);
            return pw_err(err, errsz, "store: list versions: out of memory");
        }
        if (cb(&r, arg) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_LIST_VERSIONS, rc, err, errsz);
    stmt_done(s);
    return 0;
}

int sqlite_store_coverage_active(struct sqlite_store *st, int64_t article_id, int64_t canonical_id,
                                 int *active, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_COVERAGE_ACTIVE];
    *active = 0;
    if (sqlite3_bind_int64(s, 1, article_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, canonical_id) != SQLITE_OK)
        return db_fail(st, S_COVERAGE_ACTIVE, SQLITE_ERROR, err, errsz);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *active = sqlite3_column_int(s, 0) != 0;
        rc = sqlite3_step(s);
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, S_COVERAGE_ACTIVE, rc, err, errsz);
    stmt_done(s);
    return 0;
}

int sqlite_store_coverage_lose(struct sqlite_store *st, int64_t article_id, int64_t canonical_id,
                               int *lost, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[S_COVERAGE_LOSE];
    if (sqlite3_bind_int64(s, 1, article_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, canonical_id) != SQLITE_OK)
        return db_fail(st, S_COVERAGE_LOSE, SQLITE_ERROR, err, errsz);
    if (exec_stmt(st, S_COVERAGE_LOSE, err, errsz) < 0)
        return -1;
    *lost = sqlite3_changes(st->db) == 1;
    return 0;
}

/* ---- reading, for the report ---- */

/* Binds id to ?1 of statement sid and hands each row to fill, which calls
 * the caller's callback; non-zero from fill stops the walk (-1 from fill
 * with err set is an error). */
typedef void (*report_any_cb)(void); /* cast back to the real type before calling */
typedef int (*report_fill_fn)(sqlite3_stmt *s, report_any_cb cb, void *arg);

static int report_walk(struct sqlite_store *st, enum stmt sid, int64_t id, report_fill_fn fill,
                       report_any_cb cb, void *arg, char *err, size_t errsz)
{
    sqlite3_stmt *s = st->s[sid];
    int rc;
    if (!cb)
        return pw_err(err, errsz, "store: %s: no callback", stmt_defs[sid].what);
    if (id && sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        return db_fail(st, sid, SQLITE_ERROR, err, errsz);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int r = fill(s, cb, arg);
        if (r < 0) {
            stmt_done(s);
            return pw_err(err, errsz, "store: %s: out of memory", stmt_defs[sid].what);
        }
        if (r > 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        return db_fail(st, sid, rc, err, errsz);
    stmt_done(s);
    return 0;
}

#define COL_STR(s, i) ((const char *)sqlite3_column_text((s), (i)))

static int fill_canonical(sqlite3_stmt *s, report_any_cb cb, void *arg)
{
    struct store_canonical_row r = {
        .id = sqlite3_column_int64(s, 0),
        .name = COL_STR(s, 1),
        .text = COL_STR(s, 2),
        .articles = sqlite3_column_int64(s, 3),
        .outlets = sqlite3_column_int64(s, 4),
    };
    if (!r.name || !r.text)
        return -1;
    return ((store_canonical_cb)cb)(&r, arg) != 0;
}

int sqlite_store_list_canonicals(struct sqlite_store *st, store_canonical_cb cb, void *arg,
                                 char *err, size_t errsz)
{
    return report_walk(st, S_REPORT_CANONICALS, 0, fill_canonical, (report_any_cb)cb, arg, err,
                       errsz);
}

static int fill_covering(sqlite3_stmt *s, report_any_cb cb, void *arg)
{
    struct store_covering_row r = {
        .article_id = sqlite3_column_int64(s, 0),
        .feed = COL_STR(s, 1),
        .title = COL_STR(s, 2),
        .link = COL_STR(s, 3),
        .first_seen = (time_t)sqlite3_column_int64(s, 4),
        .published = (time_t)sqlite3_column_int64(s, 5),
        .first_covered = (time_t)sqlite3_column_int64(s, 6),
        .active = sqlite3_column_int(s, 7),
        .versions = sqlite3_column_int(s, 8),
        .score = sqlite3_column_double(s, 9),
        .lang = COL_STR(s, 10),
        .paragraphs = COL_STR(s, 11),
        .detail = COL_STR(s, 12),
        .version_no = sqlite3_column_int(s, 13),
    };
    if (!r.feed)
        return -1;
    if (!r.paragraphs)
        r.paragraphs = ""; /* coverage without a recorded match */
    return ((store_covering_cb)cb)(&r, arg) != 0;
}

int sqlite_store_list_covering(struct sqlite_store *st, int64_t canonical_id, store_covering_cb cb,
                               void *arg, char *err, size_t errsz)
{
    return report_walk(st, S_REPORT_COVERAGE, canonical_id, fill_covering, (report_any_cb)cb, arg,
                       err, errsz);
}

static int fill_text(sqlite3_stmt *s, report_any_cb cb, void *arg)
{
    const char *text = COL_STR(s, 1);
    if (!text)
        return -1;
    return ((store_text_cb)cb)(sqlite3_column_int64(s, 0), text, arg) != 0;
}

int sqlite_store_list_covering_texts(struct sqlite_store *st, int64_t canonical_id,
                                     store_text_cb cb, void *arg, char *err, size_t errsz)
{
    return report_walk(st, S_REPORT_TEXTS, canonical_id, fill_text, (report_any_cb)cb, arg, err,
                       errsz);
}

static int fill_article(sqlite3_stmt *s, report_any_cb cb, void *arg)
{
    struct store_article_row r = {
        .article_id = sqlite3_column_int64(s, 0),
        .feed = COL_STR(s, 1),
        .guid = COL_STR(s, 2),
        .link = COL_STR(s, 3),
        .title = COL_STR(s, 4),
        .versions = sqlite3_column_int(s, 5),
        .first_seen = (time_t)sqlite3_column_int64(s, 6),
        .last_seen = (time_t)sqlite3_column_int64(s, 7),
    };
    if (!r.feed || !r.guid)
        return -1;
    return ((store_article_cb)cb)(&r, arg) != 0;
}

int sqlite_store_article_get(struct sqlite_store *st, int64_t article_id, store_article_cb cb,
                             void *arg, char *err, size_t errsz)
{
    if (article_id < 1)
        return 0; /* no such article: cb is not called */
    return report_walk(st, S_REPORT_ARTICLE, article_id, fill_article, (report_any_cb)cb, arg, err,
                       errsz);
}

static int fill_match(sqlite3_stmt *s, report_any_cb cb, void *arg)
{
    struct store_article_match r = {
        .canonical_id = sqlite3_column_int64(s, 0),
        .canonical = COL_STR(s, 1),
        .canonical_text = COL_STR(s, 2),
        .version_no = sqlite3_column_int(s, 3),
        .score = sqlite3_column_double(s, 4),
        .lang = COL_STR(s, 5),
        .paragraphs = COL_STR(s, 6),
        .detail = COL_STR(s, 7),
        .active = sqlite3_column_int(s, 8),
        .first_covered = (time_t)sqlite3_column_int64(s, 9),
    };
    if (!r.canonical || !r.canonical_text)
        return -1;
    if (!r.paragraphs)
        r.paragraphs = "";
    return ((store_article_match_cb)cb)(&r, arg) != 0;
}

int sqlite_store_article_matches(struct sqlite_store *st, int64_t article_id,
                                 store_article_match_cb cb, void *arg, char *err, size_t errsz)
{
    if (article_id < 1)
        return 0;
    return report_walk(st, S_REPORT_MATCHES, article_id, fill_match, (report_any_cb)cb, arg, err,
                       errsz);
}
