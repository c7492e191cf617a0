import { createStore, type Store } from "./store";

/** The account as the Auth Server describes it (`user` in login and session answers). */
export interface User {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  emailVerified: boolean;
  roles: string[];
  /** Second factors in use (`GET /auth/user`); absent where the server does not say. */
  mfa?: { totp?: boolean };
}

/** A one-shot message shown by the next page (for example "Your session has ended"). */
export interface Notice {
  kind: "info" | "success" | "error";
  text: string;
}

export interface AppState {
  /** `unknown` until `GET /auth/session` has answered. */
  status: "unknown" | "authenticated" | "anonymous";
  user: User | null;
  /** The session CSRF token: in memory only, never in storage. The newest one wins. */
  csrfToken: string | null;
  /** Epoch milliseconds at which the access token expires. */
  accessTokenExpiresAt: number | null;
  notice: Notice | null;
}

export type AppStore = Store<AppState>;

export function createAppStore(): AppStore {
  return createStore<AppState>({
    status: "unknown",
    user: null,
    csrfToken: null,
    accessTokenExpiresAt: null,
    notice: null,
  });
}

/** The state of a signed-out browser, keeping (or setting) the notice for the login page. */
export function signedOut(notice: Notice | null = null): Partial<AppState> {
  return { status: "anonymous", user: null, csrfToken: null, accessTokenExpiresAt: null, notice };
}

export function displayName(user: Pick<User, "firstName" | "lastName" | "email">): string {
  const name = `${user.firstName} ${user.lastName}`.trim();
  return name || user.email;
}

/** Whether the account may use the administration pages (the server checks again on every call). */
export function isAdmin(user: Pick<User, "roles"> | null | undefined): boolean {
  return Array.isArray(user?.roles) && user!.roles.includes("admin");
}
