import { h, link, message, pageHeading } from "../dom";
import { createForm } from "../forms";
import { href, safeNext } from "../routes";
import type { View } from "./context";
import { providerButtons } from "./providers";

export const loginView: View = ({ api, store, query, session, signal }) => {
  const notice = store.getState().notice;
  if (notice) store.setState({ notice: null });
  const next = safeNext(query.get("next"));

  const form = createForm({
    fields: [
      { name: "email", label: "Email address", type: "email", autocomplete: "username", required: true, requiredMessage: "Enter your email address." },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true, requiredMessage: "Enter your password." },
    ],
    submitLabel: "Log in",
    busyLabel: "Logging in…",
    problems: {
      invalid_credentials: "The email address or password is incorrect.",
      email_not_verified: () => [
        "Please confirm your email address first: open the link we sent you when you registered. ",
        link(href("resendVerification"), "Send a new confirmation link"),
        ".",
      ],
    },
    async onSubmit(form) {
      const answer = await api.login(form.value("email"), form.value("password"));
      session.signedIn(answer, next);
    },
  });
  form.element.querySelector(".form-actions")?.append(link(href("forgotPassword"), "Forgot your password?", "form-aside"));

  return h(
    "div",
    null,
    pageHeading("Log in"),
    h("p", { class: "lede" }, "Welcome back. Log in to manage your projects."),
    notice ? message(notice.kind, notice.text) : null,
    form.element,
    providerButtons(api, signal),
    h(
      "div",
      { class: "card-links" },
      h("p", null, "New to Gatehouse? ", link(href("register"), "Create an account")),
      h("p", null, "Didn't get the confirmation email? ", link(href("resendVerification"), "Send it again")),
    ),
  );
};
