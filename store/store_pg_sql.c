/*
 * store, PostgreSQL backend: the schema and every statement.
 *
 * The queries are store.c's with $n parameters, plus casts where PostgreSQL
 * cannot infer a parameter's type; LIMIT NULL means no limit. Kept to SQL
 * that PostgreSQL-compatible distributed databases also accept: no
 * advisory locks, no LOCK TABLE, no stored procedures; BIGSERIAL ids.
 */
#include "store/pg.h"

/*
 * Migrations: pg_migrations[i] brings schema_version.version from i to
 * i + 1 in one transaction. Append only. Version 1 is SQLite's schema at
 * its version 3, with PostgreSQL's types (times are Unix seconds, BIGINT).
 */
const char *const pg_migrations[] = {
    /* 1: feeds, articles, versions, matches, coverage, outbox, pages */
    "CREATE TABLE feeds ("
    " id BIGSERIAL PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " url TEXT NOT NULL,"
    " last_fetch BIGINT,"
    " last_success BIGINT,"
    " last_status INTEGER,"
    " last_error TEXT,"
    " consecutive_failures INTEGER NOT NULL DEFAULT 0,"
    " moved_url TEXT,"
    " redirect_url TEXT,"
    " redirect_count INTEGER NOT NULL DEFAULT 0,"
    " etag TEXT,"
    " last_modified TEXT,"
    " body_hash BIGINT NOT NULL DEFAULT 0,"
    " unconditional INTEGER NOT NULL DEFAULT 0,"
    " last_unconditional BIGINT,"
    " next_due BIGINT,"
    " error_alerted INTEGER NOT NULL DEFAULT 0,"
    " gone INTEGER NOT NULL DEFAULT 0,"
    " bytes BIGINT NOT NULL DEFAULT 0,"
    " items_new INTEGER NOT NULL DEFAULT 0,"
    " items_seen INTEGER NOT NULL DEFAULT 0,"
    " adaptive_interval INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE canonicals ("
    " id BIGSERIAL PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " path TEXT,"
    " text TEXT NOT NULL,"
    " text_hash BIGINT NOT NULL"
    ");"
    "CREATE TABLE articles ("
    " id BIGSERIAL PRIMARY KEY,"
    " feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    " guid TEXT NOT NULL,"
    " link TEXT,"
    " title TEXT,"
    " first_seen BIGINT NOT NULL,"
    " last_seen BIGINT NOT NULL,"
    " UNIQUE (feed_id, guid)"
    ");"
    "CREATE INDEX articles_first_seen ON articles(first_seen);"
    "CREATE TABLE versions ("
    " id BIGSERIAL PRIMARY KEY,"
    " article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
    " version_no INTEGER NOT NULL,"
    " title TEXT,"
    " author TEXT,"
    " summary TEXT,"
    " content TEXT,"
    " text TEXT NOT NULL,"
    " text_hash BIGINT NOT NULL,"
    " published BIGINT,"
    " updated BIGINT,"
    " fetched_at BIGINT NOT NULL,"
    " source TEXT NOT NULL DEFAULT 'feed',"
    " UNIQUE (article_id, version_no)"
    ");"
    "CREATE TABLE matches ("
    " id BIGSERIAL PRIMARY KEY,"
    " version_id BIGINT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
    " canonical_id BIGINT NOT NULL REFERENCES canonicals(id) ON DELETE CASCADE,"
    " score DOUBLE PRECISION NOT NULL,"
    " lang TEXT,"
    " paragraphs TEXT NOT NULL DEFAULT '',"
    " detail TEXT,"
    " UNIQUE (version_id, canonical_id)"
    ");"
    "CREATE INDEX matches_canonical ON matches(canonical_id);"
    "CREATE TABLE coverage ("
    " article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
    " canonical_id BIGINT NOT NULL REFERENCES canonicals(id) ON DELETE CASCADE,"
    " first_version_id BIGINT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,"
    " score DOUBLE PRECISION NOT NULL,"
    " first_covered BIGINT NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 1,"
    " PRIMARY KEY (article_id, canonical_id)"
    ");"
    "CREATE INDEX coverage_canonical ON coverage(canonical_id, first_covered);"
    "CREATE INDEX coverage_version ON coverage(first_version_id);"
    "CREATE TABLE alerts ("
    " id BIGSERIAL PRIMARY KEY,"
    " created BIGINT NOT NULL,"
    " kind TEXT NOT NULL,"
    " record TEXT NOT NULL"
    ");"
    "CREATE TABLE deliveries ("
    " alert_id BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"
    " channel TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt BIGINT NOT NULL,"
    " sent_at BIGINT,"
    " last_error TEXT,"
    " PRIMARY KEY (alert_id, channel)"
    ");"
    "CREATE INDEX deliveries_due ON deliveries(channel, next_attempt) WHERE state = 'pending';"
    "CREATE TABLE pages ("
    " article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
    " url TEXT NOT NULL,"
    " pending INTEGER NOT NULL DEFAULT 1,"
    " fetches INTEGER NOT NULL DEFAULT 0,"
    " next_fetch BIGINT,"
    " last_fetch BIGINT,"
    " last_status INTEGER,"
    " last_error TEXT,"
    " unpublished INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX pages_due ON pages(next_fetch) WHERE next_fetch IS NOT NULL;",
    /* 2: feed leases (which node polls a feed, until when) and node heartbeats */
    "ALTER TABLE feeds ADD COLUMN lease_node TEXT;"
    "ALTER TABLE feeds ADD COLUMN lease_until BIGINT;"
    "CREATE INDEX feeds_due ON feeds(next_due);"
    "CREATE TABLE nodes ("
    " name TEXT PRIMARY KEY,"
    " heartbeat BIGINT NOT NULL"
    ");",
    /* 3: outbox claims, so that two nodes never deliver one alert */
    "ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;"
    "ALTER TABLE deliveries ADD COLUMN claim_until BIGINT;",
    /* 4: per-host politeness across nodes. feeds.host is the fetch
     * client's queue key ("host:port") of the URL polled (NULL for file:
     * URLs, and for feeds not synced since); hosts.next_start (ms on the
     * database server's clock) is when the next claim on the host may
     * start. The partial indexes serve the lookups of leased feeds: per
     * host (the budget), per node (status, release at shutdown). */
    "ALTER TABLE feeds ADD COLUMN host TEXT;"
    "CREATE TABLE hosts ("
    " name TEXT PRIMARY KEY,"
    " next_start BIGINT NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX feeds_host_due ON feeds(host, (coalesce(next_due, 0)), id) WHERE gone = 0;"
    "CREATE INDEX feeds_leased_host ON feeds(host, lease_until) WHERE lease_node IS NOT NULL;"
    "CREATE INDEX feeds_leased_node ON feeds(lease_node) WHERE lease_node IS NOT NULL;"
    "CREATE INDEX deliveries_claimed ON deliveries(claimed_by)"
    " WHERE claimed_by IS NOT NULL AND state = 'pending';",
    /* 5: store_delivery_sent_stats reads the last hour of sent deliveries
     * and the newest one, not the whole history (the mailer asks after
     * every poll) */
    "CREATE INDEX deliveries_sent ON deliveries(channel, sent_at) WHERE state = 'sent';",
    /* 6: as SQLite's 5: an attempt in flight and the attempts a crash cut off */
    "ALTER TABLE deliveries ADD COLUMN sending_at BIGINT;"
    "ALTER TABLE deliveries ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;",
};

const int pg_n_migrations = (int)(sizeof pg_migrations / sizeof pg_migrations[0]);

#define FEED_STATE_COLS                                                                            \
    "f.id, f.name, f.url, f.moved_url, f.redirect_url, f.redirect_count, f.etag,"                  \
    " f.last_modified, f.body_hash, f.unconditional, f.last_unconditional, f.last_fetch,"          \
    " f.last_success, f.next_due, f.last_status, f.last_error, f.consecutive_failures,"            \
    " f.error_alerted, f.gone, f.bytes, f.items_new, f.items_seen, f.adaptive_interval,"           \
    " f.lease_node, f.lease_until"

/* The columns of struct store_page, in the order page_read reads them. */
#define PAGE_COLS                                                                                  \
    "p.article_id, a.feed_id, f.name, p.url, p.pending, p.fetches, p.next_fetch, p.last_fetch,"    \
    " p.last_status, p.last_error, p.unpublished, a.title"
#define PAGE_FROM "pages p JOIN articles a ON a.id = p.article_id JOIN feeds f ON f.id = a.feed_id"

/* The best-scoring match of coverage row cv over the article's versions (the
 * newest on a tie), as P_LIST_COVERAGE picks it. */
#define REPORT_BEST_MATCH                                                                          \
    "SELECT m2.id FROM matches m2 JOIN versions v3 ON v3.id = m2.version_id"                       \
    " WHERE v3.article_id = cv.article_id AND m2.canonical_id = cv.canonical_id"                   \
    " ORDER BY m2.score DESC, v3.version_no DESC LIMIT 1"

/* Of host h.name: how many feeds are under unexpired leases at now,
 * counted up to cap (ordered as feeds_leased_host, so an index scan that
 * stops early), and the due time of its oldest due feed not leased (NULL:
 * none), one probe of feeds_host_due. */
#define HOST_LEASES(now, cap)                                                                      \
    "(SELECT count(*) FROM (SELECT 1 FROM feeds l WHERE l.host = h.name"                           \
    " AND l.lease_node IS NOT NULL AND l.lease_until > " now "::bigint"                            \
    " ORDER BY l.lease_until DESC LIMIT " cap "::int) l)"
#define HOST_DUE(now)                                                                              \
    "(SELECT coalesce(f.next_due, 0) FROM feeds f WHERE f.host = h.name AND f.gone = 0"            \
    " AND coalesce(f.next_due, 0) <= " now "::bigint"                                              \
    " AND (f.lease_until IS NULL OR f.lease_until <= " now "::bigint)"                             \
    " ORDER BY coalesce(f.next_due, 0), f.id LIMIT 1)"

const struct pg_stmt_def pg_stmt_defs[P__N] = {
    [P_BEGIN] = {"begin", "BEGIN"},
    [P_COMMIT] = {"commit", "COMMIT"},
    [P_ROLLBACK] = {"rollback", "ROLLBACK"},
    [P_SAVEPOINT] = {"savepoint", "SAVEPOINT store_op"},
    [P_RELEASE] = {"release savepoint", "RELEASE SAVEPOINT store_op"},
    [P_ROLLBACK_TO] = {"rollback to savepoint", "ROLLBACK TO SAVEPOINT store_op"},
    /* A configured URL that changed forgets where the old one had moved to
     * and that it was gone. */
    [P_FEED_SYNC] = {"sync feed",
                     "INSERT INTO feeds (name, url, host) VALUES ($1, $2, $3)"
                     " ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
                     " host = CASE WHEN feeds.url = excluded.url AND feeds.moved_url IS NOT NULL"
                     "  THEN feeds.host ELSE excluded.host END,"
                     " moved_url = CASE WHEN feeds.url = excluded.url THEN feeds.moved_url END,"
                     " gone = CASE WHEN feeds.url = excluded.url THEN feeds.gone ELSE 0 END,"
                     " redirect_count = CASE WHEN feeds.url = excluded.url"
                     "  THEN feeds.redirect_count ELSE 0 END"
                     " RETURNING id"},
    [P_CANONICAL_SYNC] = {"sync canonical",
                          "INSERT INTO canonicals (name, path, text, text_hash)"
                          " VALUES ($1, $2, $3, $4)"
                          " ON CONFLICT (name) DO UPDATE SET path = excluded.path,"
                          " text = excluded.text, text_hash = excluded.text_hash"
                          " RETURNING id"},
    [P_FEED_OK] = {"record feed result",
                   "UPDATE feeds SET last_fetch = $2, last_success = $2, last_status = $3,"
                   " last_error = NULL, consecutive_failures = 0 WHERE id = $1"},
    [P_FEED_FAILED] = {"record feed result",
                       "UPDATE feeds SET last_fetch = $2, last_status = $3, last_error = $4,"
                       " consecutive_failures = consecutive_failures + 1 WHERE id = $1"},
    /* DO NOTHING returns no row on conflict: that is how a new article is told apart */
    [P_ARTICLE_INSERT] = {"insert article",
                          "INSERT INTO articles (feed_id, guid, link, title, first_seen, last_seen)"
                          " VALUES ($1, $2, $3, $4, $5, $5)"
                          " ON CONFLICT (feed_id, guid) DO NOTHING RETURNING id"},
    [P_ARTICLE_TOUCH] = {"update article",
                         "UPDATE articles SET last_seen = $3, link = COALESCE($4, link),"
                         " title = COALESCE($5, title) WHERE feed_id = $1 AND guid = $2"
                         " RETURNING id"},
    [P_VERSION_LATEST] = {"read latest version",
                          "SELECT id, version_no, text_hash, text, source FROM versions"
                          " WHERE article_id = $1 ORDER BY version_no DESC LIMIT 1"},
    [P_VERSION_INSERT] = {"insert version",
                          "INSERT INTO versions (article_id, version_no, title, author, summary,"
                          " content, text, text_hash, published, updated, fetched_at)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"},
    /* re-analysing a version replaces its earlier score */
    [P_MATCH_ADD] = {"add match",
                     "INSERT INTO matches (version_id, canonical_id, score, lang, paragraphs,"
                     " detail) VALUES ($1, $2, $3, $4, $5, $6)"
                     " ON CONFLICT (version_id, canonical_id) DO UPDATE SET"
                     " score = excluded.score, lang = excluded.lang,"
                     " paragraphs = excluded.paragraphs, detail = excluded.detail"},
    [P_COVERAGE_MARK] = {"mark coverage",
                         "INSERT INTO coverage (article_id, canonical_id, first_version_id,"
                         " score, first_covered) VALUES ($1, $2, $3, $4, $5)"
                         " ON CONFLICT (article_id, canonical_id) DO UPDATE SET active = 1"
                         " WHERE coverage.active = 0 RETURNING 1"},
    [P_ARTICLE_COVERED] =
        {"read coverage",
         "SELECT (EXISTS (SELECT 1 FROM coverage WHERE article_id = $1))::integer"},
    [P_ALERT_INSERT] = {"insert alert", "INSERT INTO alerts (created, kind, record)"
                                        " VALUES ($1, $2, $3) RETURNING id"},
    [P_DELIVERY_INSERT] = {"insert delivery",
                           "INSERT INTO deliveries (alert_id, channel, state, attempts,"
                           " next_attempt) VALUES ($1, $2, 'pending', 0, $3)"},
    [P_DELIVERY_DUE] = {"read due deliveries",
                        "SELECT d.alert_id, a.kind, a.record, d.channel, d.attempts,"
                        " (d.sending_at IS NOT NULL OR d.interrupted > 0)::integer"
                        " FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
                        " WHERE d.channel = $1 AND d.state = 'pending' AND d.next_attempt <= $2"
                        " ORDER BY a.created, a.id LIMIT $3"},
    [P_DELIVERY_DONE] = {"mark delivery done",
                         "UPDATE deliveries SET state = 'sent', sent_at = $3,"
                         " attempts = attempts + 1, last_error = NULL, sending_at = NULL"
                         " WHERE alert_id = $1 AND channel = $2 AND state = 'pending'"},
    [P_DELIVERY_FAILED] = {"mark delivery failed",
                           "UPDATE deliveries SET attempts = attempts + 1, next_attempt = $3,"
                           " last_error = $4, sending_at = NULL"
                           " WHERE alert_id = $1 AND channel = $2 AND state = 'pending'"},
    [P_DELIVERY_SENDING] = {"mark delivery in flight",
                            "UPDATE deliveries SET sending_at = $3, interrupted = interrupted"
                            " + CASE WHEN sending_at IS NULL THEN 0 ELSE 1 END"
                            " WHERE alert_id = $1 AND channel = $2 AND state = 'pending'"},
    /* Every delivery of one message is marked with the same sent_at, so
     * distinct times count messages (two in one second count as one). */
    [P_DELIVERY_SENT_STATS] = {"count sent deliveries",
                               "SELECT (SELECT count(DISTINCT sent_at) FROM deliveries"
                               " WHERE channel = $1 AND state = 'sent' AND sent_at >= $2),"
                               " (SELECT coalesce(max(sent_at), 0) FROM deliveries"
                               " WHERE channel = $1 AND state = 'sent')"},
    [P_DELIVERY_BACKLOG] = {"count pending deliveries",
                            "SELECT count(*) FROM deliveries WHERE channel = $1"
                            " AND state = 'pending'"},
    [P_DELIVERY_OLDEST_DUE] = {"read oldest due delivery",
                               "SELECT coalesce(min(a.created), 0) FROM deliveries d"
                               " JOIN alerts a ON a.id = d.alert_id WHERE d.channel = $1"
                               " AND d.state = 'pending' AND d.next_attempt <= $2"},
    [P_FEED_STATE_GET] = {"read feed state",
                          "SELECT " FEED_STATE_COLS " FROM feeds f WHERE f.id = $1"},
    [P_FEED_STATE_PUT] = {"write feed state",
                          "UPDATE feeds SET moved_url = $2, redirect_url = $3,"
                          " redirect_count = $4, etag = $5, last_modified = $6, body_hash = $7,"
                          " unconditional = $8, last_unconditional = $9, last_fetch = $10,"
                          " last_success = $11, next_due = $12, last_status = $13,"
                          " last_error = $14, consecutive_failures = $15, error_alerted = $16,"
                          " gone = $17, bytes = $18, items_new = $19, items_seen = $20,"
                          " adaptive_interval = $21, host = coalesce($22, host) WHERE id = $1"},
    [P_LIST_FEEDS] = {"list feeds", "SELECT " FEED_STATE_COLS " FROM feeds f ORDER BY f.name"},
    [P_LIST_ARTICLES] = {"list articles",
                         "SELECT a.id, f.name, a.guid, a.link, a.title,"
                         " (SELECT count(*) FROM versions v WHERE v.article_id = a.id),"
                         " a.first_seen, a.last_seen"
                         " FROM articles a JOIN feeds f ON f.id = a.feed_id"
                         " WHERE $1::text IS NULL OR f.name = $1::text"
                         " ORDER BY a.first_seen DESC, a.id DESC LIMIT $2"},
    /* The best-scoring match over the article's versions (the newest on a tie)
     * gives score, lang and paragraphs; coverage.score stands in when the
     * matcher recorded no row. */
    [P_LIST_COVERAGE] = {"list coverage",
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
                         " WHERE $1::text IS NULL OR c.name = $1::text"
                         " ORDER BY c.name, cv.first_covered, a.id"},
    [P_PAGE_ADD] = {"add page", "INSERT INTO pages (article_id, url, next_fetch)"
                                " VALUES ($1, $2, $3) ON CONFLICT (article_id) DO NOTHING"},
    [P_PAGES_DUE] = {"read due pages", "SELECT " PAGE_COLS " FROM " PAGE_FROM
                                       " WHERE p.next_fetch IS NOT NULL AND p.next_fetch <= $1"
                                       " ORDER BY p.next_fetch, p.article_id LIMIT $2"},
    /* Claimed for a node: next_fetch moves past the claim, so no other node
     * fetches the page meanwhile, and a node that dies leaves it due again
     * when the claim ends (the fetch's own next_fetch replaces it). The
     * outer SELECT reads the rows as they were before the UPDATE. */
    [P_PAGES_CLAIM] = {"claim due pages",
                       "WITH d AS (SELECT article_id FROM pages"
                       " WHERE next_fetch IS NOT NULL AND next_fetch <= $1"
                       " ORDER BY next_fetch, article_id LIMIT $2 FOR UPDATE SKIP LOCKED),"
                       " u AS (UPDATE pages p SET next_fetch = $3 FROM d"
                       " WHERE p.article_id = d.article_id RETURNING p.article_id)"
                       " SELECT " PAGE_COLS " FROM " PAGE_FROM
                       " WHERE p.article_id IN (SELECT article_id FROM u)"
                       " ORDER BY p.next_fetch, p.article_id"},
    [P_PAGE_NEXT_DUE] = {"read next page due", "SELECT coalesce(min(next_fetch), 0) FROM pages"
                                               " WHERE next_fetch IS NOT NULL"},
    [P_PAGE_GET] = {"read page", "SELECT " PAGE_COLS " FROM " PAGE_FROM " WHERE p.article_id = $1"},
    [P_PAGE_PUT] = {"write page",
                    "UPDATE pages SET pending = $2, fetches = $3, next_fetch = $4, last_fetch = $5,"
                    " last_status = $6, last_error = $7, unpublished = $8 WHERE article_id = $1"},
    [P_PAGE_TOTALS] = {"count pages", "SELECT count(*), coalesce(sum(fetches), 0) FROM pages"},
    /* version_no 0 (or less): the newest */
    [P_VERSION_GET] =
        {"read version",
         "SELECT v.id, v.article_id, v.version_no, v.title, v.text, v.source,"
         " v.fetched_at, a.link, a.title, f.name"
         " FROM versions v JOIN articles a ON a.id = v.article_id"
         " JOIN feeds f ON f.id = a.feed_id"
         " WHERE v.article_id = $1 AND ($2::integer <= 0 OR v.version_no = $2::integer)"
         " ORDER BY v.version_no DESC LIMIT 1"},
    /* The next number, and the publication date of the newest version: a
     * page edit does not change when the story was published. */
    [P_VERSION_ADD] =
        {"add version",
         "INSERT INTO versions (article_id, version_no, title, author, text,"
         " text_hash, published, fetched_at, source)"
         " SELECT $1::bigint, coalesce(max(v.version_no), 0) + 1, $2::text, $3::text, $4::text,"
         " $5::bigint,"
         " (SELECT published FROM versions WHERE article_id = $1"
         "  ORDER BY version_no DESC LIMIT 1), $6::bigint, $7::text"
         " FROM versions v WHERE v.article_id = $1::bigint RETURNING id, version_no"},
    [P_VERSION_SET_TEXT] = {"replace version text",
                            "UPDATE versions SET title = coalesce($2, title),"
                            " author = coalesce($3, author), text = $4, text_hash = $5,"
                            " source = $6 WHERE id = $1"},
    [P_LIST_VERSIONS] = {"list versions",
                         "SELECT version_no, id, title, source, fetched_at, length(text)"
                         " FROM versions WHERE article_id = $1 ORDER BY version_no"},
    [P_COVERAGE_ACTIVE] = {"read coverage", "SELECT active FROM coverage"
                                            " WHERE article_id = $1 AND canonical_id = $2"},
    [P_COVERAGE_LOSE] = {"mark coverage lost",
                         "UPDATE coverage SET active = 0"
                         " WHERE article_id = $1 AND canonical_id = $2 AND active = 1"},
    [P_REPORT_CANONICALS] = {"list canonicals",
                             "SELECT c.id, c.name, c.text,"
                             " (SELECT count(*) FROM coverage cv WHERE cv.canonical_id = c.id),"
                             " (SELECT count(DISTINCT a.feed_id) FROM coverage cv"
                             "  JOIN articles a ON a.id = cv.article_id"
                             "  WHERE cv.canonical_id = c.id)"
                             " FROM canonicals c ORDER BY c.name"},
    /* As P_LIST_COVERAGE (the best match gives score, lang, paragraphs and
     * detail), plus what the report's table and timeline show. */
    [P_REPORT_COVERAGE] = {"list covering articles",
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
                           " WHERE cv.canonical_id = $1 ORDER BY cv.first_covered, a.id"},
    /* The version that first covered: what propagation compares. */
    [P_REPORT_TEXTS] = {"read covering texts",
                        "SELECT cv.article_id, v.text FROM coverage cv"
                        " JOIN versions v ON v.id = cv.first_version_id"
                        " WHERE cv.canonical_id = $1 ORDER BY cv.first_covered, cv.article_id"},
    [P_REPORT_ARTICLE] = {"read article",
                          "SELECT a.id, f.name, a.guid, a.link, a.title,"
                          " (SELECT count(*) FROM versions v WHERE v.article_id = a.id),"
                          " a.first_seen, a.last_seen"
                          " FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = $1"},
    [P_REPORT_MATCHES] = {"read article matches",
                          "SELECT c.id, c.name, c.text, v.version_no, COALESCE(m.score, cv.score),"
                          " m.lang, m.paragraphs, m.detail, cv.active, cv.first_covered"
                          " FROM coverage cv JOIN canonicals c ON c.id = cv.canonical_id"
                          " LEFT JOIN matches m ON m.id = (" REPORT_BEST_MATCH ")"
                          " LEFT JOIN versions v ON v.id = m.version_id"
                          " WHERE cv.article_id = $1 ORDER BY c.name"},
    [P_COUNT_FEEDS] = {"count feeds", "SELECT count(*) FROM feeds"},
    [P_COUNT_ARTICLES] = {"count articles", "SELECT count(*) FROM articles"},
    [P_COUNT_VERSIONS] = {"count versions", "SELECT count(*) FROM versions"},
    [P_COUNT_CANONICALS] = {"count canonicals", "SELECT count(*) FROM canonicals"},
    [P_COUNT_MATCHES] = {"count matches", "SELECT count(*) FROM matches"},
    [P_COUNT_COVERAGE] = {"count coverage", "SELECT count(*) FROM coverage"},
    [P_COUNT_ALERTS] = {"count alerts", "SELECT count(*) FROM alerts"},
    [P_COUNT_DELIVERIES] = {"count deliveries", "SELECT count(*) FROM deliveries"},
    /* SKIP LOCKED: a feed another node is claiming right now is left to it
     * rather than waited for; the lease then keeps it that node's. */
    [P_FEEDS_CLAIM] = {"claim feeds",
                       "UPDATE feeds SET lease_node = $1, lease_until = $2::bigint + $3::bigint"
                       " WHERE id IN (SELECT id FROM feeds WHERE gone = 0"
                       "  AND (next_due IS NULL OR next_due <= $2::bigint)"
                       "  AND (lease_until IS NULL OR lease_until <= $2::bigint)"
                       "  ORDER BY next_due NULLS FIRST, id LIMIT $4 FOR UPDATE SKIP LOCKED)"
                       " RETURNING id"},
    [P_FEED_RELEASE] = {"release feed", "UPDATE feeds SET lease_node = NULL, lease_until = NULL"
                                        " WHERE id = $1 AND lease_node = $2"},
    [P_NODE_HEARTBEAT] = {"record heartbeat",
                          "INSERT INTO nodes (name, heartbeat) VALUES ($1, $2)"
                          " ON CONFLICT (name) DO UPDATE SET heartbeat = excluded.heartbeat"},
    [P_NODES_LIST] = {"list nodes", "SELECT n.name, n.heartbeat, (SELECT count(*) FROM feeds f"
                                    " WHERE f.lease_node = n.name AND f.lease_until > $1)"
                                    " FROM nodes n ORDER BY n.name"},
    /* Due deliveries that no other node holds are claimed for $4 until $6
     * (SKIP LOCKED, as feeds): a node sees its own claims again (a walk
     * that stopped early, a retry) and never another node's. */
    [P_DELIVERY_CLAIM] = {"claim due deliveries",
                          "WITH c AS (UPDATE deliveries SET claimed_by = $4, claim_until = $6"
                          " WHERE (alert_id, channel) IN (SELECT alert_id, channel FROM deliveries"
                          "  WHERE channel = $1 AND state = 'pending' AND next_attempt <= $2"
                          "  AND (claimed_by IS NULL OR claimed_by = $4 OR claim_until <= $5)"
                          "  ORDER BY alert_id LIMIT $3 FOR UPDATE SKIP LOCKED)"
                          " RETURNING alert_id, channel, attempts, sending_at, interrupted)"
                          " SELECT c.alert_id, a.kind, a.record, c.channel, c.attempts,"
                          " (c.sending_at IS NOT NULL OR c.interrupted > 0)::integer"
                          " FROM c JOIN alerts a ON a.id = c.alert_id ORDER BY a.created, a.id"},
    /*
     * Per-host politeness across nodes: a claim runs P_HOSTS_READY,
     * P_FEEDS_CLAIM_HOSTS and P_HOSTS_STARTED in one transaction.
     *
     * The host row is the lock: P_HOSTS_READY takes the hosts that may
     * start a request now (gap over, budget not spent, a feed due) FOR
     * UPDATE SKIP LOCKED, so two nodes never claim feeds of one host at
     * once and neither waits for the other. The budget is counted from the
     * unexpired leases of the host's feeds (a lease spans the whole poll),
     * so a node that dies frees its share when its leases expire and no
     * counter can leak. The gap is kept on the database server's clock,
     * so the nodes' clocks do not matter.
     *
     * Why not hosts assigned to nodes by hashing: that needs the nodes to
     * agree on who is alive, a node joining or dying moves hosts (and for
     * a moment two nodes poll one host), and a big host loads one node.
     * Here every node polls every host, and the limits hold whatever the
     * nodes do, for the price of a few statements per claim.
     */
    [P_HOST_ADD] = {"add host",
                    "INSERT INTO hosts (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"},
    [P_HOSTS_READY] =
        {"claim hosts",
         "SELECT h.name FROM hosts h"
         " WHERE h.next_start <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint"
         " AND " HOST_LEASES("$1",
                             "$3") " < $3::int"
                                   " AND " HOST_DUE(
                                       "$1") " IS NOT NULL"
                                             " ORDER BY " HOST_DUE(
                                                 "$1") ", h.name LIMIT $2 FOR UPDATE SKIP LOCKED"},
    /* Up to least($5, $6 - leases held) due feeds of each host in $4 (a
     * text array), at most $7 in all, oldest due first. The hosts are
     * locked by this transaction, so no FOR UPDATE is needed on their
     * feeds. OFFSET 0 keeps each host's count to one evaluation; LATERAL
     * walks feeds_host_due per host; row_number() applies each host's
     * room (LIMIT may not refer to the outer row). */
    [P_FEEDS_CLAIM_HOSTS] =
        {"claim feeds",
         "UPDATE feeds SET lease_node = $1, lease_until = $2::bigint + $3::bigint"
         " WHERE id IN (SELECT c.id FROM"
         "  (SELECT h.name, least($5::int, $6::int - " HOST_LEASES(
             "$2", "$6") ") AS room"
                         "   FROM unnest($4::text[]) AS h(name) OFFSET 0) h"
                         "  CROSS JOIN LATERAL (SELECT f.id, coalesce(f.next_due, 0) AS due,"
                         "   row_number() OVER (ORDER BY coalesce(f.next_due, 0), f.id) AS rn"
                         "   FROM feeds f WHERE f.host = h.name AND f.gone = 0"
                         "   AND coalesce(f.next_due, 0) <= $2::bigint"
                         "   AND (f.lease_until IS NULL OR f.lease_until <= $2::bigint)"
                         "   ORDER BY coalesce(f.next_due, 0), f.id LIMIT $5::int) c"
                         "  WHERE c.rn <= h.room ORDER BY c.due, c.id LIMIT $7::int)"
                         " RETURNING id, host"},
    [P_HOSTS_STARTED] = {"record host start",
                         "UPDATE hosts SET next_start ="
                         " (extract(epoch FROM clock_timestamp()) * 1000)::bigint + $2::bigint"
                         " WHERE name = ANY ($1::text[])"},
    /* Feeds without a host (file: URLs) need no politeness: as P_FEEDS_CLAIM. */
    [P_FEEDS_CLAIM_NOHOST] = {"claim feeds",
                              "UPDATE feeds SET lease_node = $1,"
                              " lease_until = $2::bigint + $3::bigint"
                              " WHERE id IN (SELECT id FROM feeds WHERE host IS NULL AND gone = 0"
                              "  AND (next_due IS NULL OR next_due <= $2::bigint)"
                              "  AND (lease_until IS NULL OR lease_until <= $2::bigint)"
                              "  ORDER BY next_due NULLS FIRST, id LIMIT $4"
                              "  FOR UPDATE SKIP LOCKED)"
                              " RETURNING id"},
    [P_NODE_RELEASE_FEEDS] = {"release the node's feeds",
                              "UPDATE feeds SET lease_node = NULL, lease_until = NULL"
                              " WHERE lease_node = $1"},
    /* $2: a channel whose claims are kept (a message may be in flight) */
    [P_NODE_RELEASE_DELIVERIES] = {"release the node's deliveries",
                                   "UPDATE deliveries SET claimed_by = NULL, claim_until = NULL"
                                   " WHERE claimed_by = $1 AND state = 'pending'"
                                   " AND ($2::text IS NULL OR channel <> $2::text)"},
};

const char *const pg_count_tables[P_COUNT_DELIVERIES - P_COUNT_FEEDS + 1] = {
    "feeds", "articles", "versions", "canonicals", "matches", "coverage", "alerts", "deliveries",
};
