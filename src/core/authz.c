/*
 * authz.c - the permission matrix and the separation-of-duties rule (see authz.h).
 *
 * The matrix is one table: for each permission, the roles that grant it. Admins pass every
 * row; nobody else passes CLIENT_WRITE (its role mask is empty). Invariants: a decision
 * reads only its arguments; a refusal always says what was refused and what would allow it,
 * never anything about records the caller cannot see.
 */
#include "core/authz.h"

#include <string.h>

#include "util/buf.h"

#include "util/banned.h"

#define R(role) (1u << (role))
#define ANY_ROLE ((1u << GL_ROLE__COUNT) - 1u)
#define WRITERS (R(GL_ROLE_REQUESTER) | R(GL_ROLE_IMPLEMENTER) | R(GL_ROLE_CHANGE_MANAGER))
#define OPERATORS (R(GL_ROLE_IMPLEMENTER) | R(GL_ROLE_CHANGE_MANAGER))

struct perm_rule {
    const char *name;
    unsigned roles;   /* roles that grant the permission; admins always pass */
    const char *what; /* completes "... may not " */
};

static const struct perm_rule rules[GL_PERM__COUNT] = {
    [GL_PERM_CLIENT_READ] = {"client.read", ANY_ROLE, "read this client"},
    [GL_PERM_CLIENT_WRITE] = {"client.write", 0, "create or edit clients"},
    [GL_PERM_CI_READ] = {"ci.read", ANY_ROLE, "read configuration items"},
    [GL_PERM_CI_WRITE] = {"ci.write", OPERATORS, "create or edit configuration items"},
    [GL_PERM_CHANGE_READ] = {"change.read", ANY_ROLE, "read changes"},
    [GL_PERM_CHANGE_WRITE] = {"change.write", WRITERS, "create or edit changes"},
    [GL_PERM_CHANGE_SUBMIT] = {"change.submit", WRITERS, "submit, reopen or cancel changes"},
    [GL_PERM_CHANGE_ASSESS] = {"change.assess", R(GL_ROLE_CHANGE_MANAGER), "assess changes"},
    [GL_PERM_CHANGE_APPROVE] = {"change.approve", R(GL_ROLE_CHANGE_MANAGER) | R(GL_ROLE_CAB_MEMBER),
                                "approve or reject normal changes"},
    [GL_PERM_CHANGE_APPROVE_EMERGENCY] = {"change.approve_emergency",
                                          R(GL_ROLE_EMERGENCY_APPROVER) | R(GL_ROLE_CHANGE_MANAGER),
                                          "approve or reject emergency changes"},
    [GL_PERM_CHANGE_SCHEDULE] = {"change.schedule", OPERATORS, "schedule changes"},
    [GL_PERM_CHANGE_IMPLEMENT] = {"change.implement", OPERATORS,
                                  "start, complete, fail or roll back changes"},
    [GL_PERM_CHANGE_REVIEW] = {"change.review", OPERATORS, "review changes"},
    [GL_PERM_CHANGE_CLOSE] = {"change.close", R(GL_ROLE_CHANGE_MANAGER), "close changes"},
    [GL_PERM_AUDIT_READ] = {"audit.read", R(GL_ROLE_AUDITOR), "read the audit log"},
    [GL_PERM_DOC_READ] = {"doc.read", ANY_ROLE, "read documentation"},
    [GL_PERM_DOC_WRITE] = {"doc.write", OPERATORS, "write or review documentation"},
    [GL_PERM_CALENDAR_WRITE] = {"calendar.write", R(GL_ROLE_CHANGE_MANAGER),
                                "define maintenance windows or blackouts"},
    [GL_PERM_TEMPLATE_WRITE] = {"template.write", R(GL_ROLE_CHANGE_MANAGER),
                                "create, edit or re-approve standard-change templates"},
    [GL_PERM_POLICY_WRITE] = {"policy.write", 0, "change the change policy"},
};

/* The permission each action needs; approve and reject are resolved by change type. */
static const enum gl_perm action_perms[GL_ACTION__COUNT] = {
    [GL_ACTION_SUBMIT] = GL_PERM_CHANGE_SUBMIT,   [GL_ACTION_ASSESS] = GL_PERM_CHANGE_ASSESS,
    [GL_ACTION_APPROVE] = GL_PERM_CHANGE_APPROVE, [GL_ACTION_REJECT] = GL_PERM_CHANGE_APPROVE,
    [GL_ACTION_REOPEN] = GL_PERM_CHANGE_SUBMIT,   [GL_ACTION_SCHEDULE] = GL_PERM_CHANGE_SCHEDULE,
    [GL_ACTION_START] = GL_PERM_CHANGE_IMPLEMENT, [GL_ACTION_COMPLETE] = GL_PERM_CHANGE_IMPLEMENT,
    [GL_ACTION_FAIL] = GL_PERM_CHANGE_IMPLEMENT,  [GL_ACTION_ROLLBACK] = GL_PERM_CHANGE_IMPLEMENT,
    [GL_ACTION_REVIEW] = GL_PERM_CHANGE_REVIEW,   [GL_ACTION_CLOSE] = GL_PERM_CHANGE_CLOSE,
    [GL_ACTION_CANCEL] = GL_PERM_CHANGE_SUBMIT,
};

const char *gl_perm_name(enum gl_perm p)
{
    return (unsigned)p < GL_PERM__COUNT ? rules[p].name : "unknown";
}

/* A grant on client 0 covers every client; client 0 itself is covered only by such a grant. */
static bool grant_covers(const struct gl_role_grant *g, int64_t client_id)
{
    return g->client_id == 0 || g->client_id == client_id;
}

bool gl_authz_has_role(const struct gl_user *u, enum gl_role r, int64_t client_id)
{
    for (size_t i = 0; i < u->ngrants; i++)
        if (u->grants[i].role == r && grant_covers(&u->grants[i], client_id))
            return true;
    return false;
}

/* The roles u holds on client_id, as a mask. */
static unsigned held_roles(const struct gl_user *u, int64_t client_id)
{
    unsigned mask = 0;
    for (size_t i = 0; i < u->ngrants; i++)
        if ((unsigned)u->grants[i].role < GL_ROLE__COUNT && grant_covers(&u->grants[i], client_id))
            mask |= R(u->grants[i].role);
    return mask;
}

/* Appends the roles of mask as "a and b" / "a or b". */
static void put_roles(struct gl_buf *b, unsigned mask, const char *conj)
{
    int n = 0, total = __builtin_popcount(mask);
    for (int r = 0; r < GL_ROLE__COUNT; r++) {
        if (!(mask & R(r)))
            continue;
        if (n)
            gl_buf_puts(b, n == total - 1 ? conj : ", ");
        gl_buf_puts(b, gl_role_name((enum gl_role)r));
        n++;
    }
}

/* The roles that grant perm on client_id: shared infrastructure is a change manager's. */
static unsigned granting_roles(enum gl_perm perm, int64_t client_id)
{
    if (perm == GL_PERM_CI_WRITE && client_id == 0)
        return R(GL_ROLE_CHANGE_MANAGER);
    return rules[perm].roles;
}

static int refuse(const struct gl_user *u, enum gl_perm perm, int64_t client_id,
                  struct gl_error *err)
{
    const struct perm_rule *rule = &rules[perm];
    unsigned roles = granting_roles(perm, client_id);
    struct gl_buf b;
    gl_buf_init(&b, sizeof err->detail - 1);
    unsigned held = held_roles(u, client_id);
    if (!roles) {
        gl_buf_printf(&b, "only an administrator may %s", rule->what);
    } else {
        gl_buf_puts(&b, held        ? "a "
                        : client_id ? "a user without a role here"
                                    : "a user without a role on all clients");
        put_roles(&b, held, " and ");
        gl_buf_printf(&b, " may not %s: that needs the ", rule->what);
        put_roles(&b, roles, " or ");
        gl_buf_puts(&b, " role");
        gl_buf_puts(&b, client_id ? " on this client" : " on all clients");
    }
    int rc = gl_error_set(err, GL_E_FORBIDDEN, NULL, "%s", gl_buf_str(&b));
    gl_buf_release(&b);
    return rc;
}

int gl_authz_check(const struct gl_user *u, enum gl_perm perm, int64_t client_id,
                   struct gl_error *err)
{
    if ((unsigned)perm >= GL_PERM__COUNT || !u || client_id < 0)
        return gl_error_set(err, GL_E_FORBIDDEN, NULL, "not allowed");
    if (u->admin)
        return 0;
    if (perm == GL_PERM_CI_READ && client_id == 0)
        return 0; /* shared infrastructure is visible to every authenticated user */
    if (held_roles(u, client_id) & granting_roles(perm, client_id))
        return 0;
    return refuse(u, perm, client_id, err);
}

enum gl_perm gl_authz_action_perm(const struct gl_change *c, enum gl_action a)
{
    if ((unsigned)a >= GL_ACTION__COUNT)
        return GL_PERM__COUNT;
    enum gl_perm p = action_perms[a];
    if (p == GL_PERM_CHANGE_APPROVE && c->type == GL_TYPE_EMERGENCY)
        return GL_PERM_CHANGE_APPROVE_EMERGENCY;
    return p;
}

static bool same_name(const char *a, const char *b)
{
    return a && b && *a && strcmp(a, b) == 0;
}

/* Separation of duties: who raised, created or implements a change does not decide on it. */
static int check_duties(const struct gl_user *u, const struct gl_change *c, enum gl_action a,
                        struct gl_error *err)
{
    if (a != GL_ACTION_APPROVE && a != GL_ACTION_REJECT)
        return 0;
    const char *role = same_name(u->name, c->raised_by)     ? "raised"
                       : same_name(u->name, c->created_by)  ? "created"
                       : same_name(u->name, c->implementer) ? "implements"
                                                            : NULL;
    if (!role)
        return 0;
    return gl_error_set(err, GL_E_FORBIDDEN, NULL,
                        "separation of duties: %s %s this change and may not %s it", u->name, role,
                        gl_action_name(a));
}

int gl_authz_action(const struct gl_user *u, const struct gl_change *c, enum gl_action a,
                    struct gl_error *err)
{
    int rc = gl_authz_check(u, gl_authz_action_perm(c, a), c->client_id, err);
    return rc ? rc : check_duties(u, c, a, err);
}
