import { ApiError, type Problem } from "../api/problem";
import { h, message } from "../dom";
import { describeProblem } from "../messages";

/** An error in words (`describe` says what a problem means here), with a "Try again" button where retrying makes sense. */
export function failure(error: unknown, retry?: () => unknown, describe: (problem: Problem) => string = describeProblem): HTMLElement {
  const text = error instanceof ApiError ? describe(error.problem) : "Something went wrong. Please try again.";
  const button = retry
    ? h("button", { type: "button", class: "button button-secondary button-small", onclick: () => retry() }, "Try again")
    : null;
  return message("error", h("span", null, text), button ? " " : null, button);
}
