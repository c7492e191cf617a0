import { h, link, message, pageHeading } from "../dom";
import { href } from "../routes";
import type { View } from "./context";

const explanations: Record<string, string> = {
  access_denied: "The sign-in was cancelled, or the provider did not allow it.",
  invalid_state: "The sign-in took too long or was started in another window. Please try again.",
  invalid_request: "The sign-in request was not valid. Please try again.",
  provider_unavailable: "We couldn't reach the sign-in provider. Please try again in a few minutes.",
  provider_error: "The sign-in provider reported a problem. Please try again in a few minutes.",
  email_not_verified: "The provider has not verified your email address, so we can't use it to sign you in.",
  account_disabled: "This account can't be used to sign in. Contact your administrator.",
  unknown_provider: "That sign-in provider is not configured here.",
};

export const callbackView: View = ({ api, store, query, session, signal }) => {
  const retry = h("p", { class: "actions" }, link(href("login"), "Back to log in", "button button-primary"));
  if (query.get("status") !== "success") {
    const code = query.get("code") ?? "";
    document.title = "Sign-in didn't complete · Gatehouse";
    return h(
      "div",
      null,
      pageHeading("Sign-in didn't complete"),
      message("error", explanations[code] ?? "Something went wrong while signing you in. Please try again."),
      code ? h("p", { class: "muted" }, `Error code: ${code}`) : null,
      retry,
    );
  }

  const body = h("div", null, h("p", { class: "loading", role: "status" }, "Signing you in…"));
  const fail = () =>
    body.replaceChildren(message("error", "We couldn't start your session. Please log in again."), retry);
  // The session bootstrap at load already asked GET /auth/session; ask again only if it said no.
  const state = store.getState();
  if (state.status === "authenticated" && state.user && state.csrfToken) {
    queueMicrotask(() => {
      if (signal.aborted) return;
      const expires = state.accessTokenExpiresAt === null ? "" : new Date(state.accessTokenExpiresAt).toISOString();
      session.signedIn({ user: state.user!, csrfToken: state.csrfToken!, accessTokenExpiresAt: expires }, "/");
    });
  } else {
    api.session().then((answer) => {
      if (signal.aborted) return;
      if (answer.authenticated && answer.user) {
        session.signedIn({ user: answer.user, csrfToken: answer.csrfToken, accessTokenExpiresAt: answer.accessTokenExpiresAt ?? "" }, "/");
      } else fail();
    }, fail);
  }
  return h("div", null, pageHeading("Signing you in"), body);
};
