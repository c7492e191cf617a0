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
