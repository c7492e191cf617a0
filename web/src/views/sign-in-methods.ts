import type { Api, LinkedIdentity, Provider } from "../api/endpoints";
import { ApiError, isCancellation } from "../api/problem";
import { h, message, setButtonBusy } from "../dom";
import { formatDateTime, timeAgo } from "../format";
import { linkableProviders } from "../messages";
import { failure } from "./failure";

/**
 * The account page's "Sign-in methods": each provider linked to the account with an "Unlink"
 * button, and a "Link <name>" button for each configured provider not linked yet. Linking leaves
 * the page for the provider, which sends the browser back to `/auth/callback?status=linked`.
 * `onUnlinked` runs once a provider is no longer linked (here or meanwhile elsewhere).
 */
export function signInMethodsSection(api: Api, signal: AbortSignal, onUnlinked?: () => void): HTMLElement {
  const headingId = "sign-in-methods-heading";
  const heading = h("h2", { id: headingId, tabindex: -1 }, "Sign-in methods");
  const status = h("div", { class: "status-slot" });
  const region = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Loading your sign-in methods…"));

  // The configured providers do not change while the page is open: asked once, and again after a
  // failure. Without them the linked providers are still listed, only the "Link" buttons are missing.
  let configured: Promise<Provider[]> | null = null;
  const providers = () =>
    (configured ??= api.providers().catch(() => {
      configured = null;
      return [];
    }));

  const load = (): Promise<unknown> => {
    region.setAttribute("aria-busy", "true");
    return Promise.all([api.identities(), providers()]).then(
      ([identities, list]) => !signal.aborted && render(Array.isArray(identities) ? identities : [], list),
      (error) => !signal.aborted && region.replaceChildren(failure(error, load)),
    ).finally(() => region.setAttribute("aria-busy", "false"));
  };

  const unlink = async (identity: LinkedIdentity, button: HTMLButtonElement) => {
    setButtonBusy(button, "Unlinking…", "Unlink");
    status.replaceChildren();
    try {
      await api.unlinkIdentity(identity.id);
      if (signal.aborted) return;
      status.replaceChildren(message("success", `${identity.name} is no longer linked to your account.`));
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof ApiError && error.status === 404)) {
        setButtonBusy(button, null, "Unlink");
        // Cancelled "Confirm it's you": nothing happened, nothing to say. Otherwise
        // last_sign_in_method, …: explained by describeProblem.
        if (!isCancellation(error)) status.replaceChildren(failure(error));
        return;
      }
      // Unlinked meanwhile (another tab or device): the list was stale.
      status.replaceChildren(message("info", `${identity.name} was already unlinked. The list is up to date.`));
    }
    onUnlinked?.();
    await load();
    heading.focus();
  };

  const link = async (provider: Provider, button: HTMLButtonElement) => {
    const idle = `Link ${provider.name}`;
    setButtonBusy(button, `Going to ${provider.name}…`, idle);
    status.replaceChildren();
    try {
      const authorizationUrl = await api.linkIdentity(provider.id);
      // Coming back with the Back button may restore this page from the back-forward cache.
      window.addEventListener("pageshow", () => setButtonBusy(button, null, idle), { once: true });
      window.location.assign(authorizationUrl);
    } catch (error) {
      if (signal.aborted) return;
      setButtonBusy(button, null, idle);
      if (isCancellation(error)) return;
      status.replaceChildren(failure(error));
      if (error instanceof ApiError && error.code === "already_linked") load();
    }
  };

  const identityItem = (identity: LinkedIdentity): HTMLLIElement => {
    const unlinkButton =
      typeof identity.id === "string" && identity.id
        ? h("button", { type: "button", class: "button button-secondary button-small", "aria-label": `Unlink ${identity.name}` }, "Unlink")
        : null;
    unlinkButton?.addEventListener("click", () => unlink(identity, unlinkButton));
    return h(
      "li",
      { class: "session" },
      h(
        "div",
        { class: "session-text" },
        h("p", { class: "session-device" }, identity.name),
        identity.email ? h("p", { class: "identity-email" }, identity.email) : null,
        h(
          "p",
          { class: "session-meta" },
          "Linked ",
          h("time", { datetime: identity.linkedAt }, formatDateTime(identity.linkedAt)),
          " · Last used ",
          h("time", { datetime: identity.lastLoginAt, title: formatDateTime(identity.lastLoginAt) }, timeAgo(identity.lastLoginAt)),
        ),
      ),
      unlinkButton,
    );
  };

  const linkButton = (provider: Provider): HTMLButtonElement => {
    const button = h("button", { type: "button", class: "button button-secondary" }, `Link ${provider.name}`);
    button.addEventListener("click", () => link(provider, button));
    return button;
  };

  const render = (identities: LinkedIdentity[], list: Provider[]) => {
    const linkable = linkableProviders(list, identities);
    region.replaceChildren(
      identities.length
        ? h("ul", { class: "session-list identity-list", "aria-labelledby": headingId }, identities.map(identityItem))
        : h("p", { class: "empty" }, "No providers linked."),
    );
    if (linkable.length) {
      region.append(h("div", { class: "section-actions", role: "group", "aria-label": "Link a provider" }, linkable.map(linkButton)));
    }
  };

  load();

  return h(
    "section",
    { class: "panel", "aria-labelledby": headingId },
    heading,
    h("p", { class: "muted" }, "Accounts at other services you can sign in with, and the email address each gave us."),
    status,
    region,
  );
}
