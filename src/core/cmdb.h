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
#include "core/impact.h"

/*
 * Free attributes of a CI: string keys to string, number or boolean values, bounded so a
 * CI stays small (GL_ATTRS_MAX keys of [a-z0-9_.-]{1,64}, string values of at most
 * GL_ATTR_VALUE_MAX bytes). A set is kept sorted by key with unique keys, so two equal
 * sets compare member by member and encode to the same canonical JSON.
 */
#define GL_ATTRS_MAX 64
#define GL_ATTR_KEY_MAX 64
#define GL_ATTR_VALUE_MAX 1024

enum gl_attr_kind { GL_ATTR_STRING, GL_ATTR_INT, GL_ATTR_REAL, GL_ATTR_BOOL };

struct gl_attr {
    char *key;
    enum gl_attr_kind kind;
    char *str; /* GL_ATTR_STRING */
    int64_t i; /* GL_ATTR_INT */
    double d;  /* GL_ATTR_REAL */
    bool b;    /* GL_ATTR_BOOL */
};

struct gl_attrs {
    struct gl_attr *items; /* sorted by key (strcmp), keys unique */
    size_t len;
};

/* A relation to a CI named by its name, as import files give it (same client, else
 * shared infrastructure). */
struct gl_ci_link {
    enum gl_rel_kind kind;
    char *name; /* owned */
};

struct gl_client {
    int64_t id;
    int64_t version;
    char *key;      /* short stable handle used in URLs and on the wire: [a-z0-9-]{1,40} */
    char *name;     /* display name */
    char *timezone; /* IANA zone, e.g. "Europe/London" */
    int notice_hours;      /* how far ahead the client must be told of availability changes */
    bool requires_signoff; /* client approver signs off what needs more than self/peer */
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
    struct gl_attrs attrs; /* free attributes; owned */
    int64_t created_at;
    int64_t updated_at;
};

void gl_client_init(struct gl_client *c);
void gl_client_release(struct gl_client *c);
/* Checks key format, name, zone syntax, notice range. Returns 0 or GL_E_INVALID. */
int gl_client_validate(const struct gl_client *c, struct gl_error *err);

void gl_ci_init(struct gl_ci *ci);
void gl_ci_release(struct gl_ci *ci);
/* Checks name, type, criticality 1..5, users_affected >= 0, the attributes. Returns 0 or
 * GL_E_INVALID (the first bad field of gl_ci_validate_all). */
int gl_ci_validate(const struct gl_ci *ci, struct gl_error *err);
/* The same checks, every one: fills errs[0..max) with one GL_E_INVALID per bad field, in
 * the order client, name, type, criticality, users_affected, owner, attributes (the
 * first bad attribute), and returns how many fields are bad (0 = valid), which may exceed
 * max. errs may be NULL when max is 0. */
#define GL_CI_CHECKS_MAX 7
size_t gl_ci_validate_all(const struct gl_ci *ci, struct gl_error *errs, size_t max);
/* Deep copy of src into dst (not initialised; dst owns its copy). 0 or -1 (out of memory,
 * dst then released). */
int gl_ci_copy(struct gl_ci *dst, const struct gl_ci *src);

/* Attributes. The set functions copy what they are given; release accepts NULL. */
void gl_attrs_release(struct gl_attrs *a);
/* Adds v (key and string copied), replacing a value under the same key. 0 or -1. */
int gl_attrs_set(struct gl_attrs *a, const struct gl_attr *v);
/* Removes key when present. */
void gl_attrs_remove(struct gl_attrs *a, const char *key);
const struct gl_attr *gl_attrs_get(const struct gl_attrs *a, const char *key);
int gl_attrs_copy(struct gl_attrs *dst, const struct gl_attrs *src);
bool gl_attrs_equal(const struct gl_attrs *a, const struct gl_attrs *b);
/* ^[a-z0-9_.-]{1,64}$ */
bool gl_attr_key_valid(const char *key);
/* The key and value rules above; refusals name the field "attributes.KEY". */
int gl_attrs_validate(const struct gl_attrs *a, struct gl_error *err);
/* A value typed from text, as a CSV cell or a command-line KEY=VALUE gives it: true and
 * false are booleans, a JSON-style number is a number, anything else a string. out->key
 * is left NULL; out->str (when a string) is malloc'd. 0 or -1. */
int gl_attr_from_text(const char *text, struct gl_attr *out);
/* The value as text, the inverse of gl_attr_from_text for numbers and booleans; into
 * buf (at least 32 bytes) unless it is a string, whose own text is returned. */
const char *gl_attr_text(const struct gl_attr *v, char *buf, size_t size);

/* Single-value checks, also usable on query parameters. NULL is never valid. */
/* ^[a-z0-9][a-z0-9-]{0,39}$ */
bool gl_client_key_valid(const char *key);
/* Syntax of an IANA zone name ("UTC", "America/Argentina/Buenos_Aires"), not existence. */
bool gl_timezone_valid(const char *tz);
/* One of: server, application, database, network_device, service, site, storage,
 * cloud_resource, endpoint, other. */
bool gl_ci_type_valid(const char *type);

#endif
