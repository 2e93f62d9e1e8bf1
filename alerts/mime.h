/* MIME encoding helpers, internal to alerts/ (alert_rfc2047 is public). */
#ifndef PW_ALERTS_MIME_H
#define PW_ALERTS_MIME_H

#include <stddef.h>
#include <time.h>

#include "alerts/alerts.h"

/* Each appends to b and returns 0, or -1 when memory ran out. */
int mime_base64(struct buf *b, const unsigned char *s, size_t n);
/* Quoted-printable of text ('\n' line ends become CRLF hard breaks). */
int mime_qp(struct buf *b, const char *text);
/* HTML text with <>&"' escaped; NULL appends nothing. */
int mime_html(struct buf *b, const char *s);
/* RFC 5322 date of t in UTC. */
int mime_date(struct buf *b, time_t t);

#endif
