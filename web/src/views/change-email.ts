import type { Api } from "../api/endpoints";
import { h } from "../dom";
import { createForm } from "../forms";

/**
 * The account page's "Change email address": the Auth Server mails a link to the new address
 * (needs recent authentication: the API client asks in place). The address shown on the page
 * stays the old one until the link is opened (`/confirm-email`). `onRequested` runs once sent.
 */
export function changeEmailSection(api: Api, currentEmail: string, onRequested?: () => void): HTMLElement {
  const headingId = "change-email-heading";
  const form = createForm({
    fields: [{ name: "newEmail", label: "New email address", type: "email", autocomplete: "email", required: true, maxLength: 254, requiredMessage: "Enter your new email address." }],
    submitLabel: "Change email address",
    busyLabel: "Sending the link…",
    validate: (form) =>
      form.value("newEmail").toLowerCase() === currentEmail.toLowerCase()
        ? [{ field: "newEmail", code: "unchanged", message: "This is already your email address." }]
        : [],
    async onSubmit(form) {
      const address = form.value("newEmail");
      await api.changeEmail(address);
      form.reset();
      form.alert("success", `Check your new inbox: we sent a link to ${address}. Your address changes when you open it.`);
      onRequested?.();
    },
  });
  return h(
    "section",
    { class: "panel", "aria-labelledby": headingId },
    h("h2", { id: headingId }, "Change email address"),
    h("p", { class: "muted" }, "We'll send a link to the new address. Until you open it, you keep signing in with the current one."),
    form.element,
  );
}
