/*
 * cmdb.h - clients (tenants) and configuration items, as far as changes need them.
 *
 * Structs own their strings; *_release frees them and accepts NULL. A CI with
 * client_id == 0 is shared infrastructure (used by several clients).
 */
#ifndef GL_CMDB_H
#define GL_CMDB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

struct gl_client {
    int64_t id;
    int64_t version;
    char *key;      /* short stable handle used in URLs and on the wire: [a-z0-9-]{1,40} */
    char *name;     /* display name */
    char *timezone; /* IANA zone, e.g. "Europe/London" */
    int notice_hours;      /* how far ahead the client must be told of availability changes */
    bool requires_signoff; /* client approver must sign off high-risk changes */
    int64_t created_at;
    int64_t updated_at;
};

struct gl_ci {
    int64_t id;
    int64_t version;
    int64_t client_id; /* 0 = shared infrastructure */
    char *client_key;  /* filled by the store on read; NULL for shared */
    char *name;
    char *type;       /* server, application, database, network_device, service, site, ... */
    int criticality;  /* 1 (lowest) .. 5 (highest) */
    int64_t users_affected;
    char *owner;
    int64_t created_at;
    int64_t updated_at;
};

void gl_client_init(struct gl_client *c);
void gl_client_release(struct gl_client *c);
/* Checks key format, name, zone syntax, notice range. Returns 0 or GL_E_INVALID. */
int gl_client_validate(const struct gl_client *c, struct gl_error *err);

void gl_ci_init(struct gl_ci *ci);
void gl_ci_release(struct gl_ci *ci);
/* Checks name, type, criticality 1..5, users_affected >= 0. Returns 0 or GL_E_INVALID. */
int gl_ci_validate(const struct gl_ci *ci, struct gl_error *err);

/* Single-value checks, also usable on query parameters. NULL is never valid. */
/* ^[a-z0-9][a-z0-9-]{0,39}$ */
bool gl_client_key_valid(const char *key);
/* Syntax of an IANA zone name ("UTC", "America/Argentina/Buenos_Aires"), not existence. */
bool gl_timezone_valid(const char *tz);
/* One of: server, application, database, network_device, service, site, storage,
 * cloud_resource, endpoint, other. */
bool gl_ci_type_valid(const char *type);

#endif
