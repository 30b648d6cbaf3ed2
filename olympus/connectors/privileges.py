"""What a connection's credentials may do beyond reading, per database, and the read-only role
recipe to replace them (used by each connector's `privileges(cursor)` during `test()`)."""

from __future__ import annotations

import re
from typing import Any, Iterable

MAX_TABLES = 20  # table findings listed one by one; the rest are counted

# ---- PostgreSQL / Redshift -------------------------------------------------------------------
PG_SERVER_ROLES = ("pg_write_all_data", "pg_execute_server_program", "pg_read_server_files",
                   "pg_write_server_files")

PG_ROLE_SQL = """
SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb,
  ARRAY(SELECT b.rolname::text FROM pg_roles b
        WHERE b.rolname IN ({roles}) AND pg_has_role(r.oid, b.oid, 'MEMBER') ORDER BY 1),
  has_database_privilege(current_database(), 'CREATE'),
  ARRAY(SELECT n.nspname::text FROM pg_namespace n
        WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
          AND has_schema_privilege(n.oid, 'CREATE') ORDER BY 1)
FROM pg_roles r WHERE r.rolname = current_user""".replace(
    "{roles}", ", ".join(f"'{r}'" for r in PG_SERVER_ROLES))

# No arrays here: Redshift's leader node runs this one too (table reference as quoted text).
TABLE_SQL = """
SELECT n.nspname, c.relname, {checks}, count(*) OVER ()
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ({kinds}) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%' AND has_schema_privilege(n.nspname, 'USAGE')
  AND ({any})
ORDER BY 1, 2 LIMIT {limit}"""


def table_sql(privileges: Iterable[str], kinds: str) -> str:
    """One query for the whole database: which visible tables may this role change."""
    ref = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
    checks = [f"has_table_privilege({ref}, '{p}')" for p in privileges]
    return TABLE_SQL.format(checks=", ".join(checks), any=" OR ".join(checks), kinds=kinds,
                            limit=MAX_TABLES)


def table_findings(rows: list[tuple], privileges: tuple[str, ...]) -> list[str]:
    """(schema, table, flag..., total) rows -> 'INSERT, UPDATE on public.orders' (+ a count)."""
    found = [f"{', '.join(p for p, ok in zip(privileges, flags) if ok)} on {schema}.{table}"
             for schema, table, *flags, _total in rows]
    total = int(rows[0][-1]) if rows else 0
    if total > len(found):
        found.append(f"… and {total - len(found)} more tables it may change")
    return found


def postgres(cursor: Any) -> tuple[str, ...]:
    """Superuser, server-access roles, CREATE on the database or a schema, table writes."""
    cursor.execute(PG_ROLE_SQL)
    row = cursor.fetchone()
    found: list[str] = []
    if row is not None:
        superuser, create_role, create_db, roles, create_here, schemas = row
        found += ["superuser"] if superuser else []
        found += ["may create roles (CREATEROLE)"] if create_role else []
        found += ["may create databases (CREATEDB)"] if create_db else []
        found += [f"member of {r}" for r in roles or ()]
        found += ["CREATE on the database"] if create_here else []
        found += [f"CREATE on schema {s}" for s in schemas or ()]
    writes = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
    cursor.execute(table_sql(writes, "'r','p','v','m','f'"))
    return tuple(found + table_findings(cursor.fetchall(), writes))


REDSHIFT_USER_SQL = """
SELECT usesuper, usecreatedb, has_database_privilege(current_database(), 'CREATE')
FROM pg_user WHERE usename = current_user"""

REDSHIFT_SCHEMA_SQL = """
SELECT nspname FROM pg_namespace
WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
  AND has_schema_privilege(nspname, 'CREATE') ORDER BY 1"""


def redshift(cursor: Any) -> tuple[str, ...]:
    """pg_user's flags, CREATE on the database or a schema, and table writes."""
    cursor.execute(REDSHIFT_USER_SQL)
    row = cursor.fetchone()
    found: list[str] = []
    if row is not None:
        superuser, create_db, create_here = row
        found += ["superuser"] if superuser else []
        found += ["may create databases (CREATEDB)"] if create_db else []
        found += ["CREATE on the database"] if create_here else []
    cursor.execute(REDSHIFT_SCHEMA_SQL)
    found += [f"CREATE on schema {s}" for (s,) in cursor.fetchall()]
    writes = ("INSERT", "UPDATE", "DELETE")
    cursor.execute(table_sql(writes, "'r','v'"))
    return tuple(found + table_findings(cursor.fetchall(), writes))


# ---- MySQL / MariaDB -------------------------------------------------------------------------
MYSQL_SAFE = frozenset({"SELECT", "SHOW VIEW", "USAGE", "SHOW DATABASES"})
_GRANT = re.compile(r"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<on>.+?)\s+TO\s+(?P<to>.+)$",
                    re.IGNORECASE | re.DOTALL)
_ROLE_GRANT = re.compile(r"^GRANT\s+(?P<roles>.+?)\s+TO\s+", re.IGNORECASE | re.DOTALL)


def mysql(cursor: Any) -> tuple[str, ...]:
    """SHOW GRANTS for the current user: anything beyond SELECT / SHOW VIEW / USAGE."""
    cursor.execute("SHOW GRANTS")
    found: list[str] = []
    for (line,) in cursor.fetchall():
        found += mysql_grant(line.decode() if isinstance(line, bytes) else str(line))
    return tuple(found)


def mysql_grant(line: str) -> list[str]:
    """One SHOW GRANTS line -> its findings ('INSERT on `shop`.*', 'WITH GRANT OPTION ...')."""
    match = _GRANT.match(line.strip())
    if match is None:
        role = _ROLE_GRANT.match(line.strip())  # GRANT `role` TO user: not inspected here
        return [f"granted role {role['roles']} (its privileges are not checked)"] if role else []
    on = match["on"].strip()
    privileges = [p.strip() for p in _split_top(match["privs"])]
    risky = [p for p in privileges if re.sub(r"\s*\(.*\)$", "", p).upper() not in MYSQL_SAFE]
    found = [f"{', '.join(risky)} on {on}"] if risky else []
    if re.search(r"\bWITH\b.*\bGRANT\s+OPTION\b", match["to"], re.IGNORECASE):
        found.append(f"WITH GRANT OPTION on {on}")
    return found


def _split_top(text: str) -> list[str]:
    """'SELECT (a, b), INSERT' -> ['SELECT (a, b)', 'INSERT'] (commas inside parentheses kept)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current] if p.strip()]


# ---- Snowflake -------------------------------------------------------------------------------
SNOWFLAKE_SAFE = frozenset({"USAGE", "SELECT", "REFERENCES", "MONITOR", "READ"})
SNOWFLAKE_ADMIN_ROLES = frozenset({"ACCOUNTADMIN", "SECURITYADMIN", "SYSADMIN", "USERADMIN",
                                   "ORGADMIN"})


def snowflake(show) -> tuple[str, ...]:
    """SHOW GRANTS TO ROLE for the current role and the roles it inherits (at most 10 roles).
    `show(sql)` returns rows as dicts with lower-case keys."""
    current = show("SELECT CURRENT_ROLE() AS role")[0]["role"]
    pending, seen, found = [str(current)], set(), []
    while pending and len(seen) < 10:
        role = pending.pop(0)
        if role.upper() in seen:
            continue
        seen.add(role.upper())
        if role.upper() in SNOWFLAKE_ADMIN_ROLES:
            found.append(f"role {role}")
        for grant in show(f'SHOW GRANTS TO ROLE "{role}"'):
            privilege, kind = str(grant["privilege"]).upper(), str(grant["granted_on"]).upper()
            if kind == "ROLE" and privilege == "USAGE":
                pending.append(str(grant["name"]))
            elif privilege not in SNOWFLAKE_SAFE:
                found.append(f"{privilege} on {kind.lower()} {grant['name']}")
    return tuple(found)


# ---- recipes ---------------------------------------------------------------------------------
POSTGRES_RECIPE = """\
-- Run as an admin, connected to the database Olympus reads; repeat the schema lines per schema.
CREATE ROLE olympus_ro LOGIN PASSWORD 'choose-a-long-password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE mydb TO olympus_ro;
GRANT USAGE ON SCHEMA public TO olympus_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO olympus_ro;
-- tables created later (run as the role that creates them):
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO olympus_ro;
-- before PostgreSQL 15 every role may create objects in schema public:
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- then connect as olympus_ro (PostgreSQL 14+: GRANT pg_read_all_data TO olympus_ro reads all)"""

REDSHIFT_RECIPE = """\
-- Run as an admin; repeat the schema lines per schema Olympus reads.
CREATE USER olympus_ro PASSWORD 'Choose-a-long-passw0rd' NOCREATEDB NOCREATEUSER;
GRANT USAGE ON SCHEMA public TO olympus_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO olympus_ro;
-- tables created later (run as the user that creates them):
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO olympus_ro;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;"""

MYSQL_RECIPE = """\
-- Run as an admin; one GRANT per database Olympus reads. Nothing else: no FILE, SUPER,
-- PROCESS or write privileges, no WITH GRANT OPTION.
CREATE USER 'olympus_ro'@'%' IDENTIFIED BY 'choose-a-long-password';
GRANT SELECT, SHOW VIEW ON mydb.* TO 'olympus_ro'@'%';"""

SNOWFLAKE_RECIPE = """\
-- Run as SECURITYADMIN (or a role that manages grants); MY_DB and MY_WH are yours.
CREATE ROLE OLYMPUS_RO;
GRANT USAGE ON WAREHOUSE MY_WH TO ROLE OLYMPUS_RO;
GRANT USAGE ON DATABASE MY_DB TO ROLE OLYMPUS_RO;
GRANT USAGE ON ALL SCHEMAS IN DATABASE MY_DB TO ROLE OLYMPUS_RO;
GRANT SELECT ON ALL TABLES IN DATABASE MY_DB TO ROLE OLYMPUS_RO;
GRANT SELECT ON ALL VIEWS IN DATABASE MY_DB TO ROLE OLYMPUS_RO;
GRANT SELECT ON FUTURE TABLES IN DATABASE MY_DB TO ROLE OLYMPUS_RO;
GRANT SELECT ON FUTURE VIEWS IN DATABASE MY_DB TO ROLE OLYMPUS_RO;
CREATE USER OLYMPUS PASSWORD = 'choose-a-long-password'
  DEFAULT_ROLE = OLYMPUS_RO DEFAULT_WAREHOUSE = MY_WH;
GRANT ROLE OLYMPUS_RO TO USER OLYMPUS;
-- and set role = OLYMPUS_RO on this connection"""

BIGQUERY_RECIPE = """\
-- BigQuery can't report a credential's IAM roles cheaply: check them yourself.
-- A service account that may run queries and read data, nothing else (no Owner, Editor,
-- BigQuery Admin or Data Editor anywhere). In the project:
--   gcloud projects add-iam-policy-binding MY_PROJECT --role=roles/bigquery.jobUser \\
--     --member=serviceAccount:olympus-ro@MY_PROJECT.iam.gserviceaccount.com
-- and per dataset Olympus reads:
GRANT `roles/bigquery.dataViewer` ON SCHEMA `MY_PROJECT.my_dataset`
  TO "serviceAccount:olympus-ro@MY_PROJECT.iam.gserviceaccount.com";"""
