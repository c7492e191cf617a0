import type { Api } from "../api/endpoints";
import { h } from "../dom";
import { createForm } from "../forms";

const label = "Delete account";

/**
 * The account page's "Delete account": asks for the address to be typed as a confirmation, then
 * deletes (needs recent authentication: the API client asks in place). `onDeleted` runs once the
 * account is gone and the server has ended every session.
 */
export function deleteAccountSection(api: Api, email: string, onDeleted: () => void): HTMLElement {
  const headingId = "delete-account-heading";
  const start = h("button", { type: "button", class: "button button-danger" }, label);
  const slot = h("div");

  start.addEventListener("click", () => {
    const cancel = h("button", { type: "button", class: "button button-secondary" }, "Cancel");
    cancel.addEventListener("click", () => {
      slot.replaceChildren();
      start.hidden = false;
      start.focus();
    });
    const form = createForm({
      fields: [{ name: "confirmEmail", label: "Type your email address to confirm", type: "email", autocomplete: "off", required: true, requiredMessage: "Type your email address to confirm." }],
      submitLabel: "Delete my account",
      busyLabel: "Deleting your account…",
      submitClass: "button button-danger",
      secondary: cancel,
      validate: (form) =>
        form.value("confirmEmail").toLowerCase() === email.toLowerCase()
          ? []
          : [{ field: "confirmEmail", code: "mismatch", message: `Type ${email} exactly to confirm.` }],
      async onSubmit() {
        await api.deleteAccount();
        onDeleted();
      },
    });
    start.hidden = true;
    slot.replaceChildren(
      h(
        "div",
        { class: "confirm", role: "group", "aria-label": "Confirm account deletion" },
        h("p", null, h("strong", null, "Delete your account for good?"), " You'll be signed out everywhere, and this can't be undone."),
        form.element,
      ),
    );
    form.input("confirmEmail").focus();
  });

  return h(
    "section",
    { class: "panel panel-danger", "aria-labelledby": headingId },
    h("h2", { id: headingId }, label),
    h("p", { class: "muted" }, "Deletes your account and everything we hold about it. We'll send a notice to your address."),
    slot,
    start,
  );
}
