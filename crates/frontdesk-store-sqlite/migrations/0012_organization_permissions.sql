-- The instance's organization permissions (issue 17): the system ones
-- (`org:sys_*`, stored at first start) and custom ones (`org:<feature>:<action>`).
-- Roles list the keys of theirs (`organization_roles.permissions`).
CREATE TABLE organization_permissions (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row: every change to the roles or permissions takes it first, so two
-- changes never rewrite one role's permission list from the same copy; its
-- version tells any node that the catalog changed.
CREATE TABLE organization_role_catalog (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO organization_role_catalog (id, version) VALUES (1, 0);
