import { h, link, message, pageHeading } from "../dom";
import { createForm } from "../forms";
import { href } from "../routes";
import type { View } from "./context";

export const forgotPasswordView: View = ({ api }) => {
  const body = h("div", null);
  const form = createForm({
    fields: [{ name: "email", label: "Email address", type: "email", autocomplete: "email", required: true, requiredMessage: "Enter your email address." }],
    submitLabel: "Send reset link",
    busyLabel: "Sending…",
    async onSubmit(form) {
      await api.forgotPassword(form.value("email"));
      // The same words whatever the address: the answer must not tell who has an account.
      body.replaceChildren(
        message("success", "If the address has an account, we've sent a link to reset the password. Check your inbox; the link is valid for a limited time."),
        h("p", { class: "actions" }, link(href("login"), "Back to log in", "button button-secondary")),
      );
    },
  });
  body.append(form.element);
  return h(
    "div",
    null,
    pageHeading("Forgot your password?"),
    h("p", { class: "lede" }, "Enter your email address and we'll send you a link to choose a new password."),
    body,
    h("div", { class: "card-links" }, h("p", null, "Remembered it? ", link(href("login"), "Log in"))),
  );
};
