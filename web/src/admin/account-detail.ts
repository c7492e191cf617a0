import { ApiError, isCancellation } from "../api/problem";
import { h, message, setButtonBusy, type Child } from "../dom";
import { createForm } from "../forms";
import { displayName, type AppStore } from "../state";
import { describeUserAgent } from "../ua";
import { failure } from "../views/failure";
import type { AdminApi, AdminIdentity, AdminSession, AdminUser, AdminUserDetail } from "./api";
import { eventColumns } from "./events";
import { describeAdminProblem, endedSessionsText, roleRuleText, type AdminAction } from "./messages";
import { editedRoles, everyAccountRole, parseRoles, roleChoices, sameRoles } from "./roles";
import { dataTable, scrolling, when, yesNo, type Column } from "./table";

export interface AccountDetailOptions {
  store: AppStore;
  signal: AbortSignal;
  /** An account was changed here (disabled, enabled, its roles, its sessions). */
  onChanged: () => void;
  /** "Show all events": the account's events in the Events section. */
  showEvents: (user: AdminUser) => void;
}

export interface AccountDetail {
  element: HTMLElement;
  open(id: string): void;
}

const sessionColumns: Column<AdminSession>[] = [
  { heading: "Device", cell: (session) => describeUserAgent(session.userAgent) },
  { heading: "IP address", cell: (session) => session.ipAddress || "—" },
  { heading: "Signed in", cell: (session) => when(session.createdAt) },
  { heading: "Last active", cell: (session) => when(session.lastUsedAt, true) },
];

const identityColumns: Column<AdminIdentity>[] = [
  { heading: "Provider", cell: (identity) => identity.provider },
  { heading: "Email", cell: (identity) => identity.email || "—" },
  { heading: "Linked", cell: (identity) => when(identity.linkedAt) },
];

/**
 * One account, opened from the list: its details, "Disable" or "Enable", "End all sessions", its
 * roles (ticked, or added by name, then "Save roles"), where it is signed in, the providers and
 * second factors it signs in with, and its recent events. After each change it is read again.
 */
export function accountDetail(api: AdminApi, options: AccountDetailOptions): AccountDetail {
  const { store, signal } = options;
  const headingId = "admin-user-detail-heading";
  const heading = h("h2", { id: headingId, tabindex: -1 }, "Account");
  const status = h("div", { class: "status-slot" });
  const body = h("div");
  const element = h("section", { class: "panel admin-detail", "aria-labelledby": headingId, "data-testid": "admin-user-detail", hidden: true }, heading, status, body);
  let latest = 0;

  const load = (id: string): Promise<void> => {
    const request = ++latest;
    body.setAttribute("aria-busy", "true");
    return api.user(id).then(
      (detail) => {
        if (request === latest && !signal.aborted) render(detail);
      },
      (error) => {
        if (request !== latest || signal.aborted) return;
        heading.textContent = "Account";
        body.replaceChildren(failure(error, () => load(id), describeAdminProblem));
      },
    ).finally(() => request === latest && body.setAttribute("aria-busy", "false"));
  };

  /** Runs a change, then reads the account again and says what happened (or why not). */
  const change = async (user: AdminUser, action: AdminAction, run: () => Promise<string>, button?: HTMLButtonElement, idle = "") => {
    if (button) setButtonBusy(button, "Working…", idle);
    status.replaceChildren();
    let done: string;
    try {
      done = await run();
    } catch (error) {
      if (signal.aborted) return;
      if (button) setButtonBusy(button, null, idle);
      if (!isCancellation(error)) status.replaceChildren(failure(error, undefined, (problem) => describeAdminProblem(problem, action)));
      return;
    }
    if (signal.aborted) return;
    options.onChanged();
    await load(user.id);
    status.replaceChildren(message("success", done));
    heading.focus();
  };

  const actions = (user: AdminUser): HTMLElement => {
    const toggleLabel = user.disabled ? "Enable" : "Disable";
    const toggle = h("button", { type: "button", class: user.disabled ? "button button-secondary" : "button button-danger" }, toggleLabel);
    toggle.addEventListener("click", () =>
      change(
        user,
        user.disabled ? "enable" : "disable",
        async () => {
          await api.change(user.id, { disabled: !user.disabled });
          return user.disabled ? "The account is enabled: it can sign in again." : "The account is disabled, and its sessions have ended.";
        },
        toggle,
        toggleLabel,
      ),
    );
    const endLabel = "End all sessions";
    const end = h("button", { type: "button", class: "button button-secondary" }, endLabel);
    end.addEventListener("click", () => change(user, "end-sessions", async () => endedSessionsText((await api.endSessions(user.id))?.revoked), end, endLabel));
    return h("div", { class: "actions" }, toggle, end);
  };

  const rolesEditor = (user: AdminUser): HTMLElement => {
    const choices = roleChoices(user.roles);
    const form = createForm({
      fields: [
        ...choices.map((role) => ({ name: `role-${role}`, label: role, type: "checkbox" as const, className: "field-role" })),
        { name: "added", label: "Add roles", hint: "Separate several with commas. " + roleRuleText, maxLength: 200 },
      ],
      submitLabel: "Save roles",
      busyLabel: "Saving roles…",
      validate: (form) => {
        const { invalid } = parseRoles(form.value("added"));
        return invalid.length ? [{ field: "added", code: "invalid_role", message: `Not a role name: ${invalid.join(", ")}.` }] : [];
      },
      async onSubmit(form) {
        const ticked = choices.filter((role) => form.checked(`role-${role}`));
        const roles = editedRoles(ticked, parseRoles(form.value("added")).roles);
        if (sameRoles(roles, user.roles)) {
          form.alert("info", "The roles are unchanged.");
          return;
        }
        let saved: AdminUser;
        try {
          saved = await api.change(user.id, { roles });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          form.alert("error", describeAdminProblem(error.problem, "roles"));
          return;
        }
        const me = store.getState().user;
        // The administrator's own roles: the navigation follows at once.
        if (me && me.id === saved.id && Array.isArray(saved.roles)) store.setState({ user: { ...me, roles: saved.roles } });
        await change(user, "roles", async () => `Roles saved: ${(saved.roles ?? roles).join(", ")}.`);
      },
    });
    for (const role of choices) {
      const box = form.input(`role-${role}`) as HTMLInputElement;
      box.checked = box.defaultChecked = role === everyAccountRole || user.roles.includes(role);
      // The server keeps it whatever is sent.
      box.disabled = role === everyAccountRole;
    }
    return h(
      "div",
      { role: "group", "aria-labelledby": `${headingId}-roles` },
      h("h3", { id: `${headingId}-roles` }, "Roles"),
      h("p", { class: "muted" }, "Every account keeps the role user; admin gives access to this page."),
      form.element,
    );
  };

  const render = ({ user, sessions, identities, secondFactors, events }: AdminUserDetail) => {
    heading.textContent = user.email;
    const sessionList = Array.isArray(sessions) ? sessions : [];
    const identityList = Array.isArray(identities) ? identities : [];
    const passkeys = Array.isArray(secondFactors?.passkeys) ? secondFactors.passkeys : [];
    const eventList = Array.isArray(events) ? events : [];
    const allEvents = h("button", { type: "button", class: "button button-secondary button-small" }, "Show all events");
    allEvents.addEventListener("click", () => options.showEvents(user));
    const fact = (term: string, value: Child) => h("div", null, h("dt", null, term), h("dd", null, value));
    body.replaceChildren(
      h(
        "dl",
        { class: "facts facts-columns" },
        fact("Name", displayName(user)),
        fact("Email verified", yesNo(user.emailVerified)),
        fact("Status", user.disabled ? "Disabled" : "Active"),
        fact("Roles", user.roles.join(", ")),
        fact("Created", when(user.createdAt)),
        fact("Last login", when(user.lastLoginAt, true)),
        fact("ID", h("code", null, user.id)),
      ),
      actions(user),
      rolesEditor(user),
      h("h3", null, "Sessions"),
      sessionList.length ? scrolling(dataTable("Sessions", sessionColumns, sessionList)) : h("p", { class: "empty" }, "Not signed in anywhere."),
      h("h3", null, "Sign-in providers"),
      identityList.length ? scrolling(dataTable("Sign-in providers", identityColumns, identityList)) : h("p", { class: "empty" }, "No providers linked."),
      h("h3", null, "Second factors"),
      h(
        "ul",
        { class: "plain-list" },
        h("li", null, `Authenticator app: ${secondFactors?.totp ? "on" : "off"}`),
        h("li", null, `Recovery codes left: ${secondFactors?.recoveryCodesLeft ?? 0}`),
        h("li", null, `Passkeys: ${passkeys.length ? passkeys.map((passkey) => passkey.name).join(", ") : "none"}`),
      ),
      h("h3", null, "Recent events"),
      eventList.length ? scrolling(dataTable("Recent events", eventColumns(false), eventList)) : h("p", { class: "empty" }, "No events yet."),
      h("div", { class: "actions" }, allEvents),
    );
  };

  return {
    element,
    open(id) {
      element.hidden = false;
      status.replaceChildren();
      heading.textContent = "Account";
      body.replaceChildren(h("p", { class: "loading" }, "Loading the account…"));
      load(id).then(() => !signal.aborted && heading.focus());
    },
  };
}
