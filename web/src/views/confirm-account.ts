import { h, link, message, pageHeading } from "../dom";
import { href } from "../routes";
import type { View } from "./context";

export const confirmAccountView: View = ({ query }) => {
  const status = query.get("status");
  if (status === "success") {
    document.title = "Account confirmed · Gatehouse";
    return h(
      "div",
      null,
      pageHeading("Your account is confirmed"),
      message("success", "Thanks for confirming your email address. You can now log in."),
      h("p", { class: "actions" }, link(href("login"), "Log in", "button button-primary")),
    );
  }
  const expired = status === "expired";
  document.title = `${expired ? "Link expired" : "Link not valid"} · Gatehouse`;
  return h(
    "div",
    null,
    pageHeading(expired ? "This link has expired" : "This link doesn't work"),
    message(
      "error",
      expired
        ? "Confirmation links are valid for a limited time. Ask for a new one and use it soon after it arrives."
        : "The confirmation link is invalid or has already been used. If your account is already confirmed, just log in.",
    ),
    h(
      "p",
      { class: "actions" },
      link(href("resendVerification"), "Send a new link", "button button-primary"),
      link(href("login"), "Log in", "button button-secondary"),
    ),
  );
};
