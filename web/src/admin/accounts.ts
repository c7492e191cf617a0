import { h } from "../dom";
import { createForm } from "../forms";
import { displayName } from "../state";
import type { AdminApi, AdminUser } from "./api";
import { pagedTable } from "./paged-table";
import { when, yesNo, type Column } from "./table";

export interface AccountsSection {
  element: HTMLElement;
  /** Loads the page shown again, after a change to one of its accounts. */
  reload(): void;
}

/**
 * The administration page's "Accounts": a search (part of an address or a name; empty lists every
 * account) and a page of up to 50 accounts, each opened by the button with its address.
 */
export function accountsSection(api: AdminApi, signal: AbortSignal, open: (user: AdminUser) => void): AccountsSection {
  const headingId = "admin-accounts-heading";
  let query = "";

  const openButton = (user: AdminUser) => {
    const button = h("button", { type: "button", class: "link-button" }, user.email);
    button.addEventListener("click", () => open(user));
    return button;
  };
  const columns: Column<AdminUser>[] = [
    { heading: "Email", cell: openButton },
    { heading: "Name", cell: (user) => (user.firstName || user.lastName ? displayName(user) : "—") },
    { heading: "Verified", cell: (user) => yesNo(user.emailVerified) },
    { heading: "Disabled", cell: (user) => (user.disabled ? h("span", { class: "badge badge-warning" }, "Yes") : "No") },
    { heading: "Roles", cell: (user) => user.roles.join(", ") },
    { heading: "Created", cell: (user) => when(user.createdAt) },
    { heading: "Last login", cell: (user) => when(user.lastLoginAt, true) },
  ];
  const table = pagedTable({
    caption: "Accounts",
    columns,
    rowTestId: "admin-user-row",
    empty: "No accounts match.",
    fetch: (cursor) => api.users(query, cursor),
    signal,
  });

  const search = createForm({
    fields: [{ name: "query", label: "Search accounts", hint: "Part of an email address or a name. Leave it empty to list every account.", maxLength: 200 }],
    submitLabel: "Search",
    busyLabel: "Searching…",
    className: "admin-filter",
    async onSubmit(form) {
      query = form.value("query");
      await table.restart();
    },
  });

  table.restart();

  return {
    element: h(
      "section",
      { class: "panel", "aria-labelledby": headingId, "data-testid": "admin-users" },
      h("h2", { id: headingId }, "Accounts"),
      search.element,
      table.element,
    ),
    reload: () => void table.reload(),
  };
}
