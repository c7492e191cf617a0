import type { LinkedIdentity, Provider } from "./api/endpoints";
import type { Problem } from "./api/problem";
import { formatWait } from "./format";
import { href } from "./routes";
import { describeUserAgent } from "./ua";

export const sessionEndedText = "Your session has ended. Please log in again.";

/** The sentence a person reads for a problem no form explains more precisely. */
export function describeProblem(problem: Problem): string {
  switch (problem.code) {
    case "network_error":
      return "We couldn't reach Gatehouse. Check your connection and try again.";
    case "rate_limited":
      return problem.retryAfter
        ? `Too many attempts. Please wait ${formatWait(problem.retryAfter)} and try again.`
        : "Too many attempts. Please wait a little and try again.";
    case "csrf_invalid":
      return "This form has expired. Please try again.";
    case "session_expired":
      return sessionEndedText;
    case "unauthenticated":
    case "token_expired":
      return "We couldn't confirm who you are. Please log in again.";
    case "validation_failed":
      return "Please correct the highlighted fields.";
    case "bad_request":
      return "The request was not understood. Please reload the page and try again.";
    case "last_sign_in_method":
      return "This is the only way you can sign in. Set a password or link another provider first.";
    case "reauthentication_required":
      // Seen only when confirming in place did not help (or was not offered): signing in again always counts.
      return "We couldn't confirm it's you. Please try again, or log out and log in again.";
  }
  if (problem.status >= 500) return "Something went wrong on our side. Please try again in a moment.";
  if (problem.status === 404) return "That item no longer exists.";
  return problem.detail || problem.title;
}

export const wrongPasswordText = "That password is not right.";

export const passkeyNotUsedText = "That passkey could not be used.";

/** How a person proves who they are in the "Confirm it's you" dialog. */
export type ProofKind = "password" | "code" | "passkey";

/** Why a proof in the "Confirm it's you" dialog (`POST /auth/reauthenticate`) was not accepted. */
export function describeProofFailure(problem: Problem, kind: ProofKind = "password"): string {
  switch (problem.code) {
    case "invalid_credentials":
      return wrongPasswordText;
    case "invalid_code":
      return wrongCodeText;
    case "passkey_refused":
      return passkeyNotUsedText;
    case "validation_failed":
      if (kind === "code") return "Enter the 6-digit code from your authenticator app.";
      return kind === "passkey" ? passkeyNotUsedText : "Enter your password.";
  }
  return describeProblem(problem);
}

/** What `/confirm-email?status=…` says: where the Auth Server sends the link mailed to a new address. */
export function describeEmailChange(status: string | null | undefined): { changed: boolean; heading: string; text: string } {
  if (status === "success") return { changed: true, heading: "Email address changed", text: "Your email address has been changed." };
  if (status === "taken")
    return { changed: false, heading: "That address is taken", text: "That email address already belongs to another account, so yours was not changed." };
  return {
    changed: false,
    heading: "This link doesn't work",
    text: "The link is invalid or has expired, so your email address was not changed. Ask for a new one from your account page.",
  };
}

const signInErrors: Record<string, string> = {
  access_denied: "The sign-in was cancelled at the provider, or the provider did not allow it. Nothing was changed.",
  invalid_state: "The sign-in took too long or was started in another window. Please try again.",
  invalid_request: "The sign-in request was not valid. Please try again.",
  provider_unavailable: "We couldn't reach the sign-in provider. Please try again in a few minutes.",
  provider_error: "The sign-in provider reported a problem. Please try again in a few minutes.",
  unknown_provider: "That sign-in provider is not configured here.",
  email_not_verified:
    "Your email address at the provider is not verified, so we can't use it. Verify it with the provider and try again, or create an account or log in with a password.",
  email_missing: "The provider didn't share your email address, so we can't sign you in with it. Allow access to your email address, or log in with your password.",
  account_exists:
    "An account with this email address already exists. Log in with your password (or the way you signed in before), then link this provider from your account page.",
  identity_in_use: "This provider account is already linked to a different Gatehouse account, so it can't be linked to yours.",
  already_linked: "Your account already has this provider linked. Nothing was changed.",
  session_expired: "Your session ended before the linking finished. Log in again, then link the provider from your account page.",
  account_disabled: "This account can't be used to sign in. Contact your administrator.",
  invalid_id_token: "The provider's answer could not be read, so we didn't sign you in. Please try again.",
  invalid_signature: "The provider's answer was not signed correctly, so we didn't sign you in. Please try again.",
  wrong_issuer: "The answer came from a different provider than the one you chose, so we didn't sign you in.",
  wrong_audience: "The provider's answer was meant for another application, so we didn't sign you in.",
  id_token_expired: "The provider's answer had expired by the time it reached us. Please try again.",
  invalid_nonce: "The provider's answer did not belong to this sign-in, so we didn't sign you in. Please try again.",
};

/** Why a sign-in with an external provider did not complete, in words (`/auth/callback?status=error&code=…`). */
export function describeSignInError(code: string | null | undefined): string {
  return (code && Object.prototype.hasOwnProperty.call(signInErrors, code) ? signInErrors[code] : undefined) ??
    "Something went wrong while signing you in. Please try again.";
}

/** Codes only the linking of a provider to a signed-in account can end with. */
const linkingErrors = new Set(["identity_in_use", "already_linked", "session_expired"]);

/** Sign-in errors that read differently when a signed-in person was linking a provider. */
const linkingWords: Record<string, string> = {
  access_denied: "The linking was cancelled at the provider, or the provider did not allow it. Nothing was changed.",
  email_not_verified:
    "Your email address at the provider is not verified, so we can't link it. Verify it with the provider, then link it again from your account page.",
  email_missing: "The provider didn't share your email address, so we can't link it. Allow access to your email address, then link it again from your account page.",
};

export interface NextStep {
  label: string;
  to: string;
}

/** The callback page for `?status=error`: its heading, the explanation, and where to go next (first is the main way). */
export interface CallbackFailure {
  heading: string;
  text: string;
  next: NextStep[];
}

/**
 * What the callback page says when a sign-in or a link did not complete. A signed-in person was
 * linking a provider, so they go back to their account page; anyone else goes to the login page
 * (returning to the account page where linking can be retried).
 */
export function describeCallbackFailure(code: string | null | undefined, signedIn: boolean): CallbackFailure {
  const linking = signedIn || (!!code && linkingErrors.has(code));
  const heading = linking ? "Linking didn't complete" : "Sign-in didn't complete";
  if (signedIn) {
    const text = (code && Object.prototype.hasOwnProperty.call(linkingWords, code) ? linkingWords[code] : undefined) ?? describeSignInError(code);
    return { heading, text, next: [{ label: "Back to your account", to: href("account") }] };
  }
  const text = describeSignInError(code);
  const logIn = (next?: string): NextStep => ({ label: "Back to log in", to: href("login", { next }) });
  switch (code) {
    case "session_expired":
    case "account_exists":
      return { heading, text, next: [logIn(href("account"))] };
    case "email_not_verified":
    case "email_missing":
      return { heading, text, next: [logIn(), { label: "Create an account", to: href("register") }] };
    default:
      return { heading, text, next: [logIn(linking ? href("account") : undefined)] };
  }
}

/** The name of a configured provider, for a provider id that came in a URL (the id itself if unknown). */
export function providerName(id: string | null | undefined, providers: readonly Provider[]): string {
  return providers.find((provider) => provider.id === id)?.name || id || "The provider";
}

/** `?status=linked&provider=<id>`: the provider was linked to the signed-in account. */
export function describeLinked(id: string | null | undefined, providers: readonly Provider[]): string {
  return `${providerName(id, providers)} is now linked to your account. You can use it to sign in.`;
}

/** The configured providers the account has not linked yet (a "Link <name>" button each), in the server's order. */
export function linkableProviders(providers: readonly Provider[], identities: readonly LinkedIdentity[]): Provider[] {
  const linked = new Set(identities.map((identity) => identity.provider));
  return providers.filter((provider) => !linked.has(provider.id));
}

const securityEventWords: Record<string, string> = {
  login: "Signed in",
  login_failed: "Failed sign-in attempt",
  refresh_token_reuse: "A stolen or replayed session token was detected; that session was ended",
  password_changed: "Password changed",
  password_reset: "Password reset by email link",
  sessions_revoked: "Sessions ended",
  provider_linked: "Sign-in provider linked",
  provider_unlinked: "Sign-in provider removed",
  federated_takeover: "Account taken back from an unconfirmed registration",
  mfa_enabled: "Two-step verification turned on",
  mfa_disabled: "Two-step verification turned off",
  passkey_added: "Passkey added",
  passkey_removed: "Passkey removed",
  passkey_counter_regression: "A passkey was refused because it may have been copied",
  email_changed: "Email address changed",
  account_disabled: "Account disabled",
  account_enabled: "Account enabled",
  roles_changed: "Roles changed",
};

/** What a security event (`GET /auth/security-events`) says happened; kinds the SPA doesn't know yet keep their code. */
export function describeSecurityEvent(kind: string | null | undefined): string {
  if (kind && Object.prototype.hasOwnProperty.call(securityEventWords, kind)) return securityEventWords[kind];
  return kind ? `Security event: ${kind}` : "Security event";
}

/** Events that may mean someone else is trying to get in: shown as warnings in the account's activity. */
const securityWarnings = new Set(["refresh_token_reuse", "login_failed", "passkey_counter_regression"]);

export function isSecurityWarning(kind: string | null | undefined): boolean {
  return !!kind && securityWarnings.has(kind);
}

// ---- Two-step verification ----

export const wrongCodeText = "That code is not right.";

/** The login page goes back to the password step with this (the sign-in expired, or had too many wrong codes). */
export const signInExpiredText = "This sign-in has expired or had too many wrong codes. Please enter your password again.";

/** The text file of the "Download" button beside a new set of recovery codes. */
export function recoveryCodesFile(codes: readonly string[], account?: string | null, now = new Date()): string {
  return [
    `Gatehouse recovery codes${account ? ` for ${account}` : ""}`,
    `Created ${now.toISOString().slice(0, 10)}. Each code works once, when you can't use your authenticator app.`,
    "Getting a new set makes these stop working.",
    "",
    ...codes,
    "",
  ].join("\n");
}

// ---- Passkeys ----

/** The Auth Server's limit on a passkey's name. */
export const passkeyNameMaxLength = 64;

/** The name offered for a new passkey: "Passkey on Firefox on Windows" (no version: it changes every month). */
export function defaultPasskeyName(userAgent: string | null | undefined): string {
  const device = describeUserAgent(userAgent).replace(/ \d+(?= on |$)/, "").replace(/^Browser on /, "");
  const name = device === "Unknown device" ? "Passkey" : `Passkey on ${device}`;
  return name.slice(0, passkeyNameMaxLength);
}

export const passkeysUnsupportedText =
  "This browser can't use passkeys. To add one, open your account page in a browser that supports them, such as a recent Chrome, Edge, Firefox or Safari.";

export const passkeyCeremonyFailedText = "Your browser couldn't use a passkey. Please try again, or log in another way.";

/** The "Confirm it's you" dialog's passkey prompt failed in the browser (not a refusal by the server). */
export const passkeyProofFailedText = "Your browser couldn't use a passkey. Please try again, or confirm it's you another way.";

export const passkeySecondStepUnsupportedText =
  "Your account asks for its passkey after the password, and this browser can't use passkeys. Log in with a browser that supports them, such as a recent Chrome, Edge, Firefox or Safari.";

export const passkeyOnDeviceText =
  "This device already has a passkey for your account. Choose another device or security key, or use the passkey you have.";

/** Where a passkey problem happened, which changes what the person can do about it. */
export type PasskeyStep = "sign-in" | "second-step" | "add" | "remove";

/** A passkey request the Auth Server refused, in words. */
export function describePasskeyProblem(problem: Problem, step: PasskeyStep): string {
  switch (problem.code) {
    case "passkey_refused":
      if (step === "add") return "Your passkey couldn't be verified, so it wasn't added. Please try again.";
      if (step === "second-step") return "That passkey wasn't accepted. Use a passkey you added to this account.";
      return "That passkey wasn't accepted. It may have been removed from your account. Try again, or log in with your password.";
    case "passkey_exists":
      return "This passkey is already on your account.";
    case "last_sign_in_method":
      return "This passkey is the only way you can sign in. Add another passkey, link a provider or set a password before removing it.";
  }
  return describeProblem(problem);
}
