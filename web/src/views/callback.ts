import { h, link, message, pageHeading } from "../dom";
import { describeSignInError } from "../messages";
import { href } from "../routes";
import type { View } from "./context";

export const callbackView: View = ({ api, store, query, session, signal }) => {
  const retry = h("p", { class: "actions" }, link(href("login"), "Back to log in", "button button-primary"));
  if (query.get("status") !== "success") {
    const code = query.get("code") ?? "";
    document.title = "Sign-in didn't complete · Gatehouse";
    return h(
      "div",
      null,
      pageHeading("Sign-in didn't complete"),
      message("error", describeSignInError(code)),
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
