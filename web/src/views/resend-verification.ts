import { h, link, message, pageHeading } from "../dom";
import { createForm } from "../forms";
import { href } from "../routes";
import type { View } from "./context";

export const resendVerificationView: View = ({ api }) => {
  const body = h("div", null);
  const form = createForm({
    fields: [{ name: "email", label: "Email address", type: "email", autocomplete: "email", required: true, requiredMessage: "Enter your email address." }],
    submitLabel: "Send the link",
    busyLabel: "Sending…",
    async onSubmit(form) {
      await api.resendVerification(form.value("email"));
      const done = message(
        "success",
        "If that address has an account waiting for confirmation, we've sent it a new link. It can take a few minutes to arrive.",
      );
      body.replaceChildren(done, h("p", { class: "actions" }, link(href("login"), "Back to log in", "button button-secondary")));
    },
  });
  body.append(form.element);
  return h(
    "div",
    null,
    pageHeading("Resend the confirmation email"),
    h("p", { class: "lede" }, "Enter the address you registered with and we'll send a new confirmation link."),
    body,
    h("div", { class: "card-links" }, h("p", null, link(href("login"), "Back to log in"))),
  );
};
