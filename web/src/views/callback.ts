import type { Provider } from "../api/endpoints";
import { h, link, message, pageHeading } from "../dom";
import { describeCallbackFailure, describeLinked } from "../messages";
import { href } from "../routes";
import type { View, ViewContext } from "./context";

/**
 * Where the Auth Server sends the browser back from a provider: `?status=success` (signed in),
 * `?status=linked&provider=<id>` (linked to the signed-in account) or `?status=error&code=…`.
 */
export const callbackView: View = (context) => {
  switch (context.query.get("status")) {
    case "success":
      return signingIn(context);
    case "linked":
      return linked(context);
    default:
      return notCompleted(context);
  }
};

function notCompleted({ query, store }: ViewContext): Node {
  const code = query.get("code") ?? "";
  const failure = describeCallbackFailure(code, store.getState().status === "authenticated");
  document.title = `${failure.heading} · Gatehouse`;
  return h(
    "div",
    null,
    pageHeading(failure.heading),
    message("error", failure.text),
    code ? h("p", { class: "muted" }, `Error code: ${code}`) : null,
    h(
      "p",
      { class: "actions" },
      failure.next.map((step, index) => link(step.to, step.label, index === 0 ? "button button-primary" : "button button-secondary")),
    ),
  );
}

function linked({ api, query, signal }: ViewContext): Node {
  const provider = query.get("provider");
  document.title = "Provider linked · Gatehouse";
  const body = h("div", null, h("p", { class: "loading", role: "status" }, "Loading…"));
  // The provider's name comes from the configured list; its id stands in when the list fails.
  const show = (providers: Provider[]) => {
    if (signal.aborted) return;
    body.replaceChildren(
      message("success", describeLinked(provider, providers)),
      h("p", { class: "actions" }, link(href("account"), "Back to your account", "button button-primary")),
    );
  };
  api.providers().then(show, () => show([]));
  return h("div", null, pageHeading("Provider linked"), body);
}

function signingIn({ api, store, session, signal }: ViewContext): Node {
  const retry = h("p", { class: "actions" }, link(href("login"), "Back to log in", "button button-primary"));
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
}
