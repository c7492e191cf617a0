import { h } from "../dom";
import { createForm } from "../forms";
import { describeSecurityEvent, isSecurityWarning } from "../messages";
import { describeUserAgent } from "../ua";
import type { AdminApi, AdminEvent, EventFilter } from "./api";
import { pagedTable } from "./paged-table";
import { shortId, when, type Column } from "./table";

/** The columns of an events table; `withAccount` adds whose account it was (not needed on one account's page). */
export function eventColumns(withAccount: boolean): Column<AdminEvent>[] {
  const columns: Column<AdminEvent>[] = [
    { heading: "When", cell: (event) => when(event.at) },
    {
      heading: "Event",
      cell: (event) => [
        describeSecurityEvent(event.kind),
        // The space keeps "Warning" a word of its own for screen readers and copied text.
        isSecurityWarning(event.kind) && " ",
        isSecurityWarning(event.kind) && h("span", { class: "badge badge-warning" }, "Warning"),
        h("br"),
        h("code", { class: "event-kind" }, event.kind),
      ],
    },
  ];
  if (withAccount) {
    columns.push({ heading: "Account", cell: (event) => event.email || (event.userId ? shortId(event.userId) : "—") });
  }
  columns.push(
    // An administrator's doing; empty when the account did it itself.
    { heading: "By", cell: (event) => (event.actorId && event.actorId !== event.userId ? shortId(event.actorId) : "—") },
    { heading: "IP address", cell: (event) => event.ipAddress || "—" },
    { heading: "Device", cell: (event) => describeUserAgent(event.userAgent) },
  );
  return columns;
}

export interface EventsSection {
  element: HTMLElement;
  /** Filters the events (an account's, say), and brings the section into view. */
  show(filter: EventFilter): void;
}

/** The administration page's "Events": every account's security events, newest first, filtered by account and kind. */
export function eventsSection(api: AdminApi, signal: AbortSignal): EventsSection {
  const headingId = "admin-events-heading";
  const heading = h("h2", { id: headingId, tabindex: -1 }, "Events");
  let filter: EventFilter = {};
  const table = pagedTable({
    caption: "Events",
    columns: eventColumns(true),
    rowTestId: "admin-event-row",
    empty: "No events match.",
    fetch: (cursor) => api.events(filter, cursor),
    signal,
  });

  const form = createForm({
    fields: [
      { name: "user", label: "Account", hint: "An email address or an account ID.", className: "field-half", maxLength: 254 },
      { name: "kind", label: "Kind", hint: "For example login_failed.", className: "field-half", maxLength: 64 },
    ],
    submitLabel: "Filter events",
    busyLabel: "Filtering…",
    className: "admin-filter",
    async onSubmit(form) {
      filter = { user: form.value("user"), kind: form.value("kind") };
      await table.restart();
    },
  });

  table.restart();

  return {
    element: h(
      "section",
      { class: "panel", "aria-labelledby": headingId, "data-testid": "admin-events" },
      heading,
      h("p", { class: "muted" }, "Security events of every account, newest first."),
      form.element,
      table.element,
    ),
    show(next) {
      filter = next;
      form.input("user").value = next.user ?? "";
      form.input("kind").value = next.kind ?? "";
      form.clearErrors();
      heading.focus();
      table.restart();
    },
  };
}
