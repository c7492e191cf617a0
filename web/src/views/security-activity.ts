import type { Api, SecurityEvent } from "../api/endpoints";
import { h } from "../dom";
import { formatDateTime, timeAgo } from "../format";
import { describeSecurityEvent, isSecurityWarning } from "../messages";
import { describeUserAgent } from "../ua";
import { failure } from "./failure";

/** How many events are listed before "Show all" (the server sends at most 100). */
const newest = 20;

export interface SecurityActivitySection {
  element: HTMLElement;
  /** Loads the events again: after something on the page that records one (password change, ending sessions, unlinking). */
  refresh(): void;
}

/**
 * The account page's "Recent security activity": what happened to the account (sign-ins, failed
 * attempts, a replayed session token, password and provider changes), newest first, each with
 * when, from which browser and from which address. Warnings say so in words, not only in colour.
 */
export function securityActivitySection(api: Api, signal: AbortSignal): SecurityActivitySection {
  const headingId = "security-activity-heading";
  const region = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Loading security activity…"));
  // Stays expanded when the list is loaded again after an action on the page.
  let expanded = false;
  // A refresh may start before the previous answer arrived: only the latest answer is shown.
  let latest = 0;

  const load = (): Promise<unknown> => {
    const request = ++latest;
    const current = () => request === latest && !signal.aborted;
    region.setAttribute("aria-busy", "true");
    return api.securityEvents().then(
      (events) => current() && render(Array.isArray(events) ? events : []),
      (error) => current() && region.replaceChildren(failure(error, load)),
    ).finally(() => request === latest && region.setAttribute("aria-busy", "false"));
  };

  const eventItem = (event: SecurityEvent): HTMLLIElement => {
    const warning = isSecurityWarning(event.kind);
    const absolute = formatDateTime(event.at);
    const relative = timeAgo(event.at);
    return h(
      "li",
      { class: `session security-event${warning ? " security-event-warning" : ""}` },
      h(
        "div",
        { class: "session-text" },
        h(
          "p",
          { class: "session-device" },
          describeSecurityEvent(event.kind),
          // The space keeps "Warning" a word of its own for screen readers and copied text.
          warning ? [" ", h("span", { class: "badge badge-warning" }, "Warning")] : null,
        ),
        h(
          "p",
          { class: "session-meta" },
          h("time", { datetime: event.at, title: absolute }, relative),
          // An `at` that is not a date reads the same both ways: shown once.
          relative === absolute ? "" : ` (${absolute})`,
          " · ",
          event.byAdministrator ? "by an administrator" : describeUserAgent(event.userAgent),
          event.ipAddress ? ` · IP ${event.ipAddress}` : "",
        ),
      ),
    );
  };

  const render = (events: SecurityEvent[]) => {
    if (!events.length) {
      region.replaceChildren(h("p", { class: "empty" }, "No security activity yet."));
      return;
    }
    const shown = expanded ? events : events.slice(0, newest);
    const list = h("ul", { class: "session-list security-event-list", "aria-labelledby": headingId }, shown.map(eventItem));
    region.replaceChildren(list);
    if (shown.length === events.length) return;

    const showAll = h("button", { type: "button", class: "button button-secondary" }, "Show all");
    const actions = h("div", { class: "section-actions" }, showAll, h("p", { class: "muted" }, `Showing the ${newest} most recent of ${events.length}.`));
    showAll.addEventListener("click", () => {
      expanded = true;
      const rest = events.slice(newest).map(eventItem);
      list.append(...rest);
      actions.remove();
      // The button is gone: focus goes on to the first event it revealed.
      rest[0].tabIndex = -1;
      rest[0].focus();
    });
    region.append(actions);
  };

  load();

  return {
    element: h(
      "section",
      { class: "panel", "aria-labelledby": headingId },
      h("h2", { id: headingId }, "Recent security activity"),
      h(
        "p",
        { class: "muted" },
        "Sign-ins and changes to your account, newest first. If you see something you don't recognise, change your password and end your other sessions.",
      ),
      region,
    ),
    refresh: () => void load(),
  };
}
