import { h, link, pageHeading } from "../dom";
import { href } from "../routes";
import type { View } from "./context";

export const checkEmailView: View = () =>
  h(
    "div",
    null,
    h("div", { class: "hero-icon", "aria-hidden": "true" }, "✉"),
    pageHeading("Check your email"),
    h("p", { class: "lede" }, "We've sent a link to confirm your email address. Open it to activate your account, then log in."),
    h("p", null, "The email can take a few minutes to arrive. If you don't see it, check your spam folder."),
    h(
      "div",
      { class: "card-links" },
      h("p", null, "Still nothing? ", link(href("resendVerification"), "Send the link again")),
      h("p", null, link(href("login"), "Back to log in")),
    ),
  );
