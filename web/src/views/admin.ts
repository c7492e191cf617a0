import type { ApiClient } from "../api/client";
import { accountDetail } from "../admin/account-detail";
import { accountsSection, type AccountsSection } from "../admin/accounts";
import { createAdminApi } from "../admin/api";
import { eventsSection } from "../admin/events";
import { notAllowedText } from "../admin/messages";
import { h, link, message, pageHeading } from "../dom";
import { href } from "../routes";
import { isAdmin } from "../state";
import type { View } from "./context";

/**
 * Administration (`/admin`, for accounts with the `admin` role; the server checks every call):
 * find accounts, open one to disable or enable it, end its sessions or edit its roles, and read
 * every account's security events. Its code (`src/admin/`) is a chunk of its own, fetched on the
 * first visit, so nobody else's first load pays for it.
 */
export function adminView(client: ApiClient): View {
  const api = createAdminApi(client);
  return ({ store, signal }) => {
    if (!isAdmin(store.getState().user)) {
      const denied = message("error", notAllowedText);
      denied.setAttribute("data-testid", "admin-forbidden");
      return h(
        "div",
        { class: "page" },
        pageHeading("Administration"),
        denied,
        h("p", { class: "actions" }, link(href("home"), "Go to your projects", "button button-primary")),
      );
    }
    const events = eventsSection(api, signal);
    // Created below; a change in the detail reloads the list's page.
    let accounts: AccountsSection | null = null;
    const detail = accountDetail(api, {
      store,
      signal,
      onChanged: () => accounts?.reload(),
      showEvents: (user) => events.show({ user: user.email }),
    });
    accounts = accountsSection(api, signal, (user) => detail.open(user.id));
    return h(
      "div",
      { class: "page" },
      pageHeading("Administration"),
      h("p", { class: "lede" }, "Find accounts, disable or enable them, end their sessions, change their roles, and read what happened to them."),
      h("div", { class: "stack stack-wide" }, accounts.element, detail.element, events.element),
    );
  };
}
