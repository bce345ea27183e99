/*
 * cmdb.c - clients and configuration items: lifetime and validation (see cmdb.h).
 *
 * Invariants: validation is purely syntactic (whether a time zone actually exists is
 * for the adapter with the tz database to decide); every refusal names the wire field.
 * Release functions accept NULL and leave the struct re-initialised.
 */
#include "core/cmdb.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define NAME_MAX_LEN 200
#define KEY_MAX_LEN 40
#define TZ_MAX_LEN 64
#define NOTICE_MAX_HOURS 8760
#define USERS_MAX 100000000

static const char *const ci_types[] = {
    "server", "application", "database",       "network_device", "service",
    "site",   "storage",     "cloud_resource", "endpoint",       "other",
};

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* True when s has at least one non-blank character and at most max bytes. */
static bool name_ok(const char *s, size_t max)
{
    if (!s || strlen(s) > max)
        return false;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return true;
    return false;
}

bool gl_client_key_valid(const char *key)
{
    if (!key || !is_lower_alnum(key[0]))
        return false;
    size_t n = 1;
    for (; key[n]; n++)
        if (!is_lower_alnum(key[n]) && key[n] != '-')
            return false;
    return n <= KEY_MAX_LEN;
}

/* One path component of a zone name: starts with a letter, then [A-Za-z0-9_+-]. */
static bool tz_component_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alpha(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '+' && s[i] != '-')
            return false;
    return true;
}

bool gl_timezone_valid(const char *tz)
{
    if (!tz || !*tz || strlen(tz) > TZ_MAX_LEN)
        return false;
    const char *p = tz;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!tz_component_ok(p, n))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

bool gl_ci_type_valid(const char *type)
{
    if (!type)
        return false;
    for (size_t i = 0; i < sizeof ci_types / sizeof ci_types[0]; i++)
        if (strcmp(ci_types[i], type) == 0)
            return true;
    return false;
}

void gl_client_init(struct gl_client *c)
{
    memset(c, 0, sizeof *c);
}

void gl_client_release(struct gl_client *c)
{
    if (!c)
        return;
    free(c->key);
    free(c->name);
    free(c->timezone);
    gl_client_init(c);
}

int gl_client_validate(const struct gl_client *c, struct gl_error *err)
{
    if (!gl_client_key_valid(c->key))
        return gl_error_set(err, GL_E_INVALID, "key",
                            "a client key is 1 to 40 of a-z, 0-9 and '-', starting with a "
                            "letter or digit");
    if (!name_ok(c->name, NAME_MAX_LEN))
        return gl_error_set(err, GL_E_INVALID, "name",
                            "a client name is required and at most 200 bytes");
    if (!c->timezone)
        return gl_error_set(err, GL_E_INVALID, "timezone", "a client time zone is required");
    if (!gl_timezone_valid(c->timezone))
        return gl_error_set(err, GL_E_INVALID, "timezone",
                            "a time zone is an IANA name such as \"Europe/London\" or \"UTC\"");
    if (c->notice_hours < 0 || c->notice_hours > NOTICE_MAX_HOURS)
        return gl_error_set(err, GL_E_INVALID, "notice_hours",
                            "notice_hours must be between 0 and 8760");
    return 0;
}

void gl_ci_init(struct gl_ci *ci)
{
    memset(ci, 0, sizeof *ci);
}

void gl_ci_release(struct gl_ci *ci)
{
    if (!ci)
        return;
    free(ci->client_key);
    free(ci->name);
    free(ci->type);
    free(ci->owner);
    gl_ci_init(ci);
}

int gl_ci_validate(const struct gl_ci *ci, struct gl_error *err)
{
    if (ci->client_id < 0)
        return gl_error_set(err, GL_E_INVALID, "client", "the client id must not be negative");
    if (!name_ok(ci->name, NAME_MAX_LEN))
        return gl_error_set(err, GL_E_INVALID, "name",
                            "a configuration item name is required and at most 200 bytes");
    if (!gl_ci_type_valid(ci->type))
        return gl_error_set(err, GL_E_INVALID, "type",
                            "type must be one of server, application, database, "
                            "network_device, service, site, storage, cloud_resource, "
                            "endpoint, other");
    if (ci->criticality < 1 || ci->criticality > 5)
        return gl_error_set(err, GL_E_INVALID, "criticality",
                            "criticality must be between 1 and 5");
    if (ci->users_affected < 0 || ci->users_affected > USERS_MAX)
        return gl_error_set(err, GL_E_INVALID, "users_affected",
                            "users_affected must be between 0 and 100000000");
    if (ci->owner && strlen(ci->owner) > NAME_MAX_LEN)
        return gl_error_set(err, GL_E_INVALID, "owner", "an owner is at most 200 bytes");
    return 0;
}
