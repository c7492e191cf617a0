import { h, link, message, pageHeading } from "../dom";
import { createForm, newPasswordFields, newPasswordMismatch } from "../forms";
import { href } from "../routes";
import type { View } from "./context";

export const resetPasswordView: View = ({ api, query, store, session, navigate }) => {
  const token = query.get("token") ?? "";
  if (token) forgetTokenInAddressBar();
  const forgotLink = () => link(href("forgotPassword"), "Request a new link");
  if (!token) {
    return h(
      "div",
      null,
      pageHeading("Choose a new password"),
      message("error", "This reset link is incomplete. Open the link from the email again, or ", forgotLink(), "."),
    );
  }
  const form = createForm({
    fields: [
      ...newPasswordFields,
    ],
    submitLabel: "Change password",
    busyLabel: "Changing password…",
    validate: newPasswordMismatch,
    problems: {
      invalid_token: () => ["This reset link is invalid or has expired. ", forgotLink(), "."],
    },
    async onSubmit(form) {
      await api.resetPassword(token, form.value("newPassword"));
      // A reset ends every session of the account, this browser's included.
      if (store.getState().status === "authenticated") session.forget();
      store.setState({ notice: { kind: "success", text: "Your password has been changed. Log in with your new password." } });
      navigate(href("login"), { replace: true });
    },
  });
  return h(
    "div",
    null,
    pageHeading("Choose a new password"),
    h("p", { class: "lede" }, "After the change, every device signed in to your account is signed out."),
    form.element,
  );
};

/**
 * Takes `?token=` out of the address bar and the history entry (security review I4), so the reset
 * link cannot be read back from history or a shared screen; the form keeps the token in memory.
 * Not through the router: that would render the page again, without the token.
 */
function forgetTokenInAddressBar(): void {
  const url = new URL(window.location.href);
  url.searchParams.delete("token");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}
