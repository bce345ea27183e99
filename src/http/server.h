/*
 * server.h - Greenlight's HTTP server (libmicrohttpd), the API's only entry point.
 *
 * The server owns no data: every request is parsed, checked by the core and persisted by
 * the store it was given (borrowed; it must outlive the server).
 */
#ifndef GL_HTTP_SERVER_H
#define GL_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

struct gl_server_config {
    const char *host;      /* e.g. "127.0.0.1" */
    uint16_t port;         /* 0 picks a free port (see gl_server_port) */
    unsigned threads;       /* event threads answering reads; 0 = one per CPU */
    unsigned write_threads; /* threads running writes, so many commit together; 0 = 32 */
    size_t max_body;       /* request body cap in bytes; 0 = 1 MiB */
    unsigned timeout_s;    /* idle connection timeout; 0 = 30 s */
    /* PEM certificate chain and private key (borrowed; kept until gl_server_stop): when
     * set, the server speaks only HTTPS and session cookies are marked Secure. */
    const char *tls_cert_pem;
    const char *tls_key_pem;
};

struct gl_server;

/* Starts listening; returns NULL and fills err when the address cannot be bound. */
struct gl_server *gl_server_start(struct gl_store *st, const struct gl_server_config *cfg,
                                  struct gl_error *err);
uint16_t gl_server_port(const struct gl_server *srv);
/* Stops accepting, finishes in-flight requests, frees. Accepts NULL. */
void gl_server_stop(struct gl_server *srv);

#endif
