import type { ApiClient } from "../api/client";

/** The administration API (CONTRACT "Administration"): every call needs an access token with the `admin` role. */

/** An account as administrators see it. Timestamps are ISO-8601. */
export interface AdminUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  emailVerified: boolean;
  disabled: boolean;
  roles: string[];
  createdAt: string;
  lastLoginAt: string | null;
}

export interface AdminSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ipAddress: string | null;
}

export interface AdminIdentity {
  id: string;
  provider: string;
  email: string | null;
  linkedAt: string;
}

export interface AdminPasskey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A security event of any account, newest first. */
export interface AdminEvent {
  id: string;
  kind: string;
  at: string;
  userId: string | null;
  email: string | null;
  /** Who did it, when not the account itself (an administrator). */
  actorId: string | null;
  targetId: string | null;
  ipAddress: string;
  userAgent: string;
}

/** `GET /admin/users/{id}`: one account and everything about how it signs in. */
export interface AdminUserDetail {
  user: AdminUser;
  sessions: AdminSession[];
  identities: AdminIdentity[];
  secondFactors: { totp: boolean; recoveryCodesLeft: number; passkeys: AdminPasskey[] };
  events: AdminEvent[];
}

/** A page of a list: up to 50 items, and the cursor of the next page (null on the last). */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** What `PATCH /admin/users/{id}` may change. */
export interface AccountChange {
  disabled?: boolean;
  roles?: string[];
}

export interface EventFilter {
  /** An account's id or email address. */
  user?: string;
  kind?: string;
}

/** `?name=value&…` of the values given (empty and null ones left out), or "" when none is. */
export function queryString(values: Record<string, string | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? value : []);

export type AdminApi = ReturnType<typeof createAdminApi>;

export function createAdminApi(client: ApiClient) {
  const account = (id: string) => `/admin/users/${encodeURIComponent(id)}`;
  return {
    users: async (query: string, cursor: string | null): Promise<CursorPage<AdminUser>> => {
      const page = await client.auth<{ users?: unknown; nextCursor?: string | null }>("GET", `/admin/users${queryString({ query, cursor })}`);
      return { items: list(page?.users), nextCursor: page?.nextCursor ?? null };
    },
    user: (id: string) => client.auth<AdminUserDetail>("GET", account(id)),
    change: (id: string, change: AccountChange) => client.auth<AdminUser>("PATCH", account(id), { body: change }),
    endSessions: (id: string) => client.auth<{ revoked: number }>("POST", `${account(id)}/logout`),
    events: async (filter: EventFilter, cursor: string | null): Promise<CursorPage<AdminEvent>> => {
      const page = await client.auth<{ events?: unknown; nextCursor?: string | null }>(
        "GET",
        `/admin/events${queryString({ user: filter.user, kind: filter.kind, cursor })}`,
      );
      return { items: list(page?.events), nextCursor: page?.nextCursor ?? null };
    },
  };
}
