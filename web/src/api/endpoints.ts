import { externalUrl } from "../routes";
import type { User } from "../state";
import type { ApiClient } from "./client";
import type { AuthenticationResponseJSON, CreationOptionsJSON, RegistrationResponseJSON, RequestOptionsJSON } from "../webauthn";
import { ApiError, type Problem } from "./problem";

/** The Auth and Resource Server endpoints the SPA uses (CONTRACT.md), typed. */
export interface SessionAnswer {
  authenticated: boolean;
  user?: User;
  csrfToken: string;
  accessTokenExpiresAt?: string;
}

export interface LoginAnswer {
  user: User;
  csrfToken: string;
  accessTokenExpiresAt: string;
}

/** A correct password for an account with a second factor: no session yet, a code must follow. */
export interface SecondFactorChallenge {
  mfaRequired: true;
  /** `totp`, `recovery_code`, `passkey`, …: new methods may come at any time. */
  methods: string[];
  /** Five minutes, five wrong codes; kept in memory only. */
  mfaToken: string;
}

/** The second step of a login: a code from the authenticator app, or one of the recovery codes. */
export type SecondFactorProof = { code: string } | { recoveryCode: string };

/** A TOTP enrolment, not active until a code from it is confirmed. */
export interface TotpEnrolment {
  /** Base32, for typing into the app by hand. */
  secret: string;
  otpauthUri: string;
}

export interface RecoveryCodes {
  recoveryCodes: string[];
}

/** A passkey on the account (`GET /auth/passkeys`). */
export interface Passkey {
  id: string;
  /** The person's name for it, 1 to 64 characters. */
  name: string;
  createdAt: string;
  /** Absent or null until it signs someone in. */
  lastUsedAt?: string | null;
}

export interface Provider {
  id: string;
  name: string;
  authorizationUrl: string;
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ipAddress: string | null;
  current: boolean;
}

/** A provider linked to the account (`GET /auth/identities`). */
export interface LinkedIdentity {
  id: string;
  /** The provider's id, as in `Provider.id`. */
  provider: string;
  name: string;
  /** The address the provider gave at the last sign-in; absent if it gave none. */
  email?: string | null;
  linkedAt: string;
  lastLoginAt: string;
}

/** Something that happened to the caller's account (`GET /auth/security-events`, newest first). */
export interface SecurityEvent {
  /** `login`, `login_failed`, `refresh_token_reuse`, …: new kinds may come at any time. */
  kind: string;
  /** ISO-8601, UTC. */
  at: string;
  /** Empty when not known. */
  ipAddress: string;
  /** The User-Agent header sent with the request; empty when none was sent. */
  userAgent: string;
  /** An administrator made this change (address and device are then not shown). */
  byAdministrator?: boolean;
}

export interface Profile {
  sub: string;
  email: string;
  firstName: string;
  lastName: string;
  roles: string[];
}

export interface Project {
  id: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export interface Registration {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  organization?: string;
  acceptTerms: boolean;
  marketingOptIn?: boolean;
}

export type Api = ReturnType<typeof createApi>;

export function createApi(client: ApiClient) {
  const anonymous = (body: unknown) => ({ body, anonymousCsrf: true });
  return {
    session: () => client.auth<SessionAnswer>("GET", "/auth/session"),
    providers: async () => {
      const list = await client.auth<Provider[]>("GET", "/auth/providers");
      return (Array.isArray(list) ? list : []).flatMap((provider): Provider[] => {
        // The link may be relative to the Auth Server; only http(s) links are followed.
        const authorizationUrl = externalUrl(provider?.authorizationUrl, client.authUrl);
        return authorizationUrl ? [{ ...provider, authorizationUrl }] : [];
      });
    },
    login: (email: string, password: string) =>
      client.auth<LoginAnswer | SecondFactorChallenge>("POST", "/auth/login", anonymous({ email, password })),
    loginSecondFactor: (mfaToken: string, proof: SecondFactorProof) =>
      client.auth<LoginAnswer>("POST", "/auth/login/second-factor", anonymous({ mfaToken, ...proof })),
    register: (registration: Registration) => client.auth<void>("POST", "/auth/register", anonymous(registration)),
    resendVerification: (email: string) => client.auth<void>("POST", "/auth/resend-verification", anonymous({ email })),
    forgotPassword: (email: string) => client.auth<void>("POST", "/auth/forgot-password", anonymous({ email })),
    resetPassword: (token: string, newPassword: string) =>
      client.auth<void>("POST", "/auth/reset-password", anonymous({ token, newPassword })),
    logout: () => client.auth<void>("POST", "/auth/logout"),
    sessions: () => client.auth<SessionInfo[]>("GET", "/auth/sessions"),
    endSession: (id: string) => client.auth<void>("DELETE", `/auth/sessions/${encodeURIComponent(id)}`),
    endOtherSessions: () => client.auth<{ revoked: number }>("POST", "/auth/sessions/revoke-others"),
    identities: () => client.auth<LinkedIdentity[]>("GET", "/auth/identities"),
    /** Starts linking a provider to the signed-in account: the provider's page to send the browser to. */
    linkIdentity: async (provider: string): Promise<string> => {
      const answer = await client.auth<{ authorizationUrl?: unknown } | undefined>(
        "POST",
        `/auth/identities/${encodeURIComponent(provider)}/link`,
      );
      const authorizationUrl = externalUrl(answer?.authorizationUrl, client.authUrl);
      if (!authorizationUrl) throw new ApiError(unfollowableLink());
      return authorizationUrl;
    },
    unlinkIdentity: (id: string) => client.auth<void>("DELETE", `/auth/identities/${encodeURIComponent(id)}`),
    securityEvents: () => client.auth<SecurityEvent[]>("GET", "/auth/security-events"),
    changePassword: (currentPassword: string, newPassword: string) =>
      client.auth<void>("POST", "/auth/change-password", { body: { currentPassword, newPassword } }),
    currentUser: () => client.auth<User>("GET", "/auth/user"),
    /** Mails a link to the new address; the address changes only when the link is opened. */
    changeEmail: (newEmail: string) => client.auth<{ message?: string }>("POST", "/auth/change-email", { body: { newEmail } }),
    /** Every datum the Auth Server holds about the caller, as JSON. */
    exportAccount: () => client.auth<unknown>("GET", "/auth/account/export"),
    deleteAccount: () => client.auth<void>("DELETE", "/auth/account"),
    startTotp: () => client.auth<TotpEnrolment>("POST", "/auth/mfa/totp"),
    confirmTotp: (code: string) => client.auth<RecoveryCodes>("POST", "/auth/mfa/totp/confirm", { body: { code } }),
    turnOffTotp: () => client.auth<void>("DELETE", "/auth/mfa/totp"),
    newRecoveryCodes: () => client.auth<RecoveryCodes>("POST", "/auth/mfa/recovery-codes"),
    passkeys: () => client.auth<Passkey[]>("GET", "/auth/passkeys"),
    passkeyRegistrationOptions: () => client.auth<CreationOptionsJSON>("POST", "/auth/passkeys/registration-options"),
    addPasskey: (credential: RegistrationResponseJSON, name: string) =>
      client.auth<Passkey>("POST", "/auth/passkeys", { body: { credential, name } }),
    removePasskey: (id: string) => client.auth<void>("DELETE", `/auth/passkeys/${encodeURIComponent(id)}`),
    /** A challenge for a passkey sign-in, bound to this browser by a short-lived cookie. */
    passkeyLoginOptions: () => client.auth<RequestOptionsJSON>("POST", "/auth/passkeys/login-options", anonymous({})),
    /** A whole sign-in with a passkey, or (with the password step's `mfaToken`) its second step. */
    loginWithPasskey: (credential: AuthenticationResponseJSON, mfaToken?: string) =>
      client.auth<LoginAnswer>("POST", "/auth/passkeys/login", anonymous(mfaToken ? { credential, mfaToken } : { credential })),

    profile: () => client.resource<Profile>("GET", "/api/profiles/me"),
    projects: () => client.resource<Project[]>("GET", "/api/projects"),
    createProject: (name: string, description: string) =>
      client.resource<Project>("POST", "/api/projects", { body: { name, description } }),
    renameProject: (id: string, name: string) =>
      client.resource<Project>("PATCH", `/api/projects/${encodeURIComponent(id)}`, { body: { name } }),
    deleteProject: (id: string) => client.resource<void>("DELETE", `/api/projects/${encodeURIComponent(id)}`),
  };
}

/** The Auth Server answered a link request with a link the SPA won't follow (not http(s)). */
function unfollowableLink(): Problem {
  return {
    type: "about:blank",
    title: "The provider link is not valid",
    status: 502,
    code: "invalid_authorization_url",
    detail: "The server answered with a provider link that can't be opened.",
  };
}
