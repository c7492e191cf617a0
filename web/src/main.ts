import "./styles.css";
import { createApiClient } from "./api/client";
import { createApi, type SessionAnswer } from "./api/endpoints";
import { ApiError } from "./api/problem";
import { browserLock, browserTabChannel, type TabMessage } from "./api/tabs";
import { readConfig } from "./config";
import { h, message, pageHeading } from "./dom";
import { describeProblem, sessionEndedText } from "./messages";
import { createRouter, type RouteMatch } from "./router";
import { href, routes, safeNext, type RouteDefinition, type RouteName } from "./routes";
import { keepSessionFresh, signedIn, storeSessionHooks, totpStatus } from "./session";
import { createAppStore, signedOut, type Notice } from "./state";
import { accountView } from "./views/account";
import { callbackView } from "./views/callback";
import { checkEmailView } from "./views/check-email";
import { confirmAccountView } from "./views/confirm-account";
import { confirmEmailView } from "./views/confirm-email";
import { createConfirmIdentityDialog, type PasskeyCeremony } from "./views/confirm-identity";
import type { View, ViewContext } from "./views/context";
import { forgotPasswordView } from "./views/forgot-password";
import { homeView } from "./views/home";
import { lazyView } from "./views/lazy";
import { appLayout, authLayout } from "./views/layout";
import { loginView } from "./views/login";
import { notFoundView } from "./views/not-found";
import { registerView } from "./views/register";
import { resendVerificationView } from "./views/resend-verification";
import { resetPasswordView } from "./views/reset-password";
import { passkeysSupported, type PasskeyScope } from "./webauthn";

// The composition root: the one place that wires config, store, API client, router and views.

const views: Record<RouteName, View> = {
  home: homeView,
  account: accountView,
  // A chunk of its own, fetched on the first visit: only administrators need it.
  admin: lazyView("Administration", () => import("./views/admin").then((module) => module.adminView(client))),
  login: loginView,
  register: registerView,
  checkEmail: checkEmailView,
  confirmAccount: confirmAccountView,
  confirmEmail: confirmEmailView,
  resendVerification: resendVerificationView,
  forgotPassword: forgotPasswordView,
  resetPassword: resetPasswordView,
  callback: callbackView,
};

const root = document.getElementById("app")!;
const config = readConfig(document);
const store = createAppStore();
const channel = browserTabChannel();
const confirmIdentity = createConfirmIdentityDialog(document);
const client = createApiClient({
  authUrl: config.authUrl,
  resourceUrl: config.resourceUrl,
  fetch: (input, init) => window.fetch(input, init),
  lock: browserLock(),
  channel,
  session: storeSessionHooks(store, () => leaveApp({ kind: "info", text: sessionEndedText }, true)),
  // "Needs recent authentication": asked in place, over the page that asked; leaving the page cancels it.
  confirmIdentity: (prove) => {
    const user = store.getState().user;
    return confirmIdentity(prove, { email: user?.email, totp: totpStatus(user), passkey: passkeyCeremony(), signal: leaving?.signal });
  },
});
const api = createApi(client);

/** A passkey for "Confirm it's you", where this browser can use one: challenged exactly as a passkey sign-in is. */
function passkeyCeremony(): PasskeyCeremony | null {
  if (!passkeysSupported(window as unknown as PasskeyScope)) return null;
  return { options: () => api.passkeyLoginOptions(), credentials: navigator.credentials };
}
const router = createRouter(routes, window, (match) => render(match, true));

let leaving: AbortController | null = null;

/** The session is over here: forget it and leave the app pages (to the login page, with a notice). */
function leaveApp(notice: Notice, keepPlace: boolean) {
  store.setState(signedOut(notice));
  const match = router.current();
  if (match.route?.access === "app") {
    const next = keepPlace && match.location !== "/" ? match.location : undefined;
    router.navigate(href("login", { next }), { replace: true });
  } else if (match.route?.name === "login") {
    render(match, false); // show the notice
  }
}

const session: ViewContext["session"] = {
  signedIn(answer, next = "/") {
    store.setState({ ...signedIn(answer), notice: null });
    channel.post({ type: "login", user: answer.user, csrfToken: answer.csrfToken, accessTokenExpiresAt: answer.accessTokenExpiresAt });
    router.navigate(safeNext(next), { replace: true });
  },
  async logout() {
    try {
      await api.logout();
    } catch (error) {
      // No answer at all: the cookies may still be alive, so say so instead of pretending.
      if (!(error instanceof ApiError) || error.status === 0) throw error;
    }
    channel.post({ type: "logout" });
    leaveApp({ kind: "success", text: "You have logged out." }, false);
  },
  forget(notice) {
    channel.post({ type: "logout" });
    store.setState(signedOut(notice));
  },
};

channel.listen((message: TabMessage) => {
  switch (message.type) {
    case "login": {
      store.setState({ ...signedIn(message), notice: null });
      const match = router.current();
      if (match.route?.access === "guest") router.navigate(safeNext(match.query.get("next")), { replace: true });
      break;
    }
    case "logout":
      if (store.getState().status === "authenticated") leaveApp({ kind: "info", text: "You have logged out." }, false);
      break;
    case "session-lost":
      if (store.getState().status === "authenticated") leaveApp({ kind: "info", text: sessionEndedText }, true);
      break;
    case "refreshed":
      break; // the API client keeps the newest CSRF token
  }
});

function render(match: RouteMatch<RouteDefinition>, moveFocus: boolean) {
  const state = store.getState();
  if (state.status === "unknown") return; // start() renders once the session bootstrap has answered
  const route = match.route;
  if (route?.access === "app" && state.status !== "authenticated") {
    router.navigate(href("login", { next: match.location === "/" ? undefined : match.location }), { replace: true });
    return;
  }
  if (route?.access === "guest" && state.status === "authenticated") {
    router.navigate(safeNext(match.query.get("next")), { replace: true });
    return;
  }
  leaving?.abort();
  leaving = new AbortController();
  const context: ViewContext = {
    store,
    api,
    query: match.query,
    signal: leaving.signal,
    navigate: (to, options) => router.navigate(to, options),
    session,
  };
  // Views may refine the title (for example when a page shows an error).
  document.title = `${route ? route.title : "Page not found"} · Gatehouse`;
  const content = (route ? views[route.name] : notFoundView)(context);
  const page =
    route?.access === "app"
      ? appLayout({ user: state.user, current: route.name, onLogout: () => session.logout(), content })
      : authLayout(content);
  root.replaceChildren(page);
  if (moveFocus) root.querySelector<HTMLElement>(".page-title")?.focus();
  else window.scrollTo(0, 0);
}

/** Session bootstrap: the only Auth Server request before the first render. */
async function start() {
  root.replaceChildren(h("p", { class: "boot", role: "status" }, "Loading…"));
  let answer: SessionAnswer;
  try {
    answer = await api.session();
  } catch (error) {
    const retry = h("button", { type: "button", class: "button button-primary", onclick: () => start() }, "Try again");
    document.title = "Unavailable · Gatehouse";
    root.replaceChildren(
      authLayout(
        h(
          "div",
          null,
          pageHeading("Gatehouse is unavailable"),
          message("error", error instanceof ApiError ? describeProblem(error.problem) : "Something went wrong."),
          h("p", { class: "actions" }, retry),
        ),
      ),
    );
    return;
  }
  if (answer.authenticated && answer.user) {
    store.setState(signedIn({ user: answer.user, csrfToken: answer.csrfToken, accessTokenExpiresAt: answer.accessTokenExpiresAt ?? "" }));
  } else {
    store.setState(signedOut());
  }
  render(router.current(), false);
}

router.start();
keepSessionFresh({ store, client, doc: document });
start();
