// filepath: src/lib/db.ts
// Purpose: The small slice of a Prisma-style client that the webhook route uses
// (db.user.upsert / delete / findUnique), on plain `pg` against DATABASE_URL.
//
// DATABASE_URL is a PostgreSQL URL; `pg` passes libpq-style parameters from it,
// so e.g. postgres://u:p@localhost:5432/app?options=-c%20search_path%3Dmyschema
// puts the table in `myschema`. The table is created on first use.
import { Pool } from 'pg';

export type User = {
  clerkId: string;
  email: string;
  name: string | null;
  avatarUrl: string | null;
  updatedAt: Date;
};

type Where = { clerkId?: string | null };
type UserData = {
  email?: string | null;
  name?: string | null;
  avatarUrl?: string | null;
};
type UserCreate = UserData & { clerkId: string; email: string };

type UserRow = {
  clerk_id: string;
  email: string;
  name: string | null;
  avatar_url: string | null;
  updated_at: Date;
};

const COLUMNS: Record<keyof UserData, string> = {
  email: 'email',
  name: 'name',
  avatarUrl: 'avatar_url',
};

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS users (
    clerk_id text PRIMARY KEY,
    email text NOT NULL,
    name text,
    avatar_url text,
    updated_at timestamptz DEFAULT now()
  )`;

// One pool per process (kept on globalThis so `next dev` reloads don't leak pools).
const g = globalThis as unknown as { __frontdeskDbPool?: Pool; __frontdeskDbReady?: Promise<void> };

function pool(): Pool {
  if (!g.__frontdeskDbPool) {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) {
      throw new Error('DATABASE_URL is not set (e.g. postgres://user:pass@localhost:5432/app)');
    }
    g.__frontdeskDbPool = new Pool({ connectionString, max: 5 });
  }
  return g.__frontdeskDbPool;
}

async function ready(): Promise<Pool> {
  const p = pool();
  if (!g.__frontdeskDbReady) {
    g.__frontdeskDbReady = p
      .query(CREATE_TABLE)
      .then(() => undefined)
      .catch((err: { code?: string }) => {
        // Another process creating the table at the same moment is fine.
        if (err.code === '23505' || err.code === '42P07') return;
        g.__frontdeskDbReady = undefined; // try again on the next call
        throw err;
      });
  }
  await g.__frontdeskDbReady;
  return p;
}

function toUser(row: UserRow | undefined): User | null {
  if (!row) return null;
  return {
    clerkId: row.clerk_id,
    email: row.email,
    name: row.name,
    avatarUrl: row.avatar_url,
    updatedAt: row.updated_at,
  };
}

function requireId(where: Where): string {
  if (!where.clerkId) throw new Error('db.user: where.clerkId is required');
  return where.clerkId;
}

export const db = {
  user: {
    /** INSERT … ON CONFLICT (clerk_id) DO UPDATE; `update` keys left undefined keep their value. */
    async upsert(args: { where: Where; update: UserData; create: UserCreate }): Promise<User> {
      const clerkId = args.where.clerkId || args.create.clerkId;
      if (!clerkId) throw new Error('db.user.upsert: a clerkId is required');
      const p = await ready();

      const params: unknown[] = [
        clerkId,
        args.create.email,
        args.create.name ?? null,
        args.create.avatarUrl ?? null,
      ];
      const sets = ['updated_at = now()'];
      for (const key of Object.keys(COLUMNS) as (keyof UserData)[]) {
        const value = args.update[key];
        if (value === undefined) continue;
        if (key === 'email' && value === null) continue; // email is NOT NULL
        params.push(value);
        sets.push(`${COLUMNS[key]} = $${params.length}`);
      }

      const { rows } = await p.query<UserRow>(
        `INSERT INTO users (clerk_id, email, name, avatar_url, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (clerk_id) DO UPDATE SET ${sets.join(', ')}
         RETURNING clerk_id, email, name, avatar_url, updated_at`,
        params,
      );
      return toUser(rows[0])!;
    },

    /** Deletes the row; returns it, or null when there was none (so webhook retries succeed). */
    async delete(args: { where: Where }): Promise<User | null> {
      const p = await ready();
      const { rows } = await p.query<UserRow>(
        `DELETE FROM users WHERE clerk_id = $1
         RETURNING clerk_id, email, name, avatar_url, updated_at`,
        [requireId(args.where)],
      );
      return toUser(rows[0]);
    },

    async findUnique(args: { where: Where }): Promise<User | null> {
      const p = await ready();
      const { rows } = await p.query<UserRow>(
        `SELECT clerk_id, email, name, avatar_url, updated_at FROM users WHERE clerk_id = $1`,
        [requireId(args.where)],
      );
      return toUser(rows[0]);
    },
  },
};

