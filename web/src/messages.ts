import type { Problem } from "./api/problem";
import { formatWait } from "./format";

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
  }
  if (problem.status >= 500) return "Something went wrong on our side. Please try again in a moment.";
  if (problem.status === 404) return "That item no longer exists.";
  return problem.detail || problem.title;
}

const signInErrors: Record<string, string> = {
  access_denied: "The sign-in was cancelled at the provider, or the provider did not allow it. Nothing was changed.",
  invalid_state: "The sign-in took too long or was started in another window. Please try again.",
  invalid_request: "The sign-in request was not valid. Please try again.",
  provider_unavailable: "We couldn't reach the sign-in provider. Please try again in a few minutes.",
  provider_error: "The sign-in provider reported a problem. Please try again in a few minutes.",
  unknown_provider: "That sign-in provider is not configured here.",
  email_not_verified:
    "Your email address at the provider is not verified, so we can't use it to sign you in. Verify it with the provider, or log in with your password.",
  email_missing: "The provider didn't share your email address, so we can't sign you in with it. Allow access to your email address, or log in with your password.",
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
