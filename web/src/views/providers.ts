import type { Api, Provider } from "../api/endpoints";
import { h } from "../dom";

/**
 * "or" and a "Continue with …" link per provider the Auth Server lists (`GET /auth/providers`),
 * for the login and register pages. Hidden until the list arrives, and stays hidden when it is
 * empty or fails: federated login is optional, the password form works without it. Without
 * `divider`, the page puts its own "or" above (the login page, with its passkey button).
 */
export function providerButtons(api: Api, signal: AbortSignal, { divider = true } = {}): HTMLElement {
  const providers = h("div", { class: "providers", hidden: true });
  api.providers().then(
    (list: Provider[]) => {
      if (signal.aborted || !Array.isArray(list) || list.length === 0) return;
      providers.replaceChildren(
        ...(divider ? [h("p", { class: "divider" }, h("span", null, "or"))] : []),
        ...list.map((provider) =>
          h("a", { class: "button button-secondary button-block", href: provider.authorizationUrl, rel: "external" }, `Continue with ${provider.name}`),
        ),
      );
      providers.hidden = false;
    },
    () => undefined,
  );
  return providers;
}
