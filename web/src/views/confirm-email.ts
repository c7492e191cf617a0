import { h, link, message, pageHeading } from "../dom";
import { describeEmailChange } from "../messages";
import { href } from "../routes";
import type { View } from "./context";

/**
 * Where the link mailed to a new address ends (`?status=success|expired|invalid|taken`, from the
 * Auth Server). A signed-in person's account is read again so the new address shows at once.
 */
export const confirmEmailView: View = ({ api, store, query, signal }) => {
  const { changed, heading, text } = describeEmailChange(query.get("status"));
  const signedIn = store.getState().status === "authenticated";
  document.title = `${heading} · Gatehouse`;
  if (changed && signedIn) {
    api.currentUser().then(
      (user) => !signal.aborted && store.getState().status === "authenticated" && user?.email && store.setState({ user }),
      () => undefined,
    );
  }
  return h(
    "div",
    null,
    pageHeading(heading),
    message(changed ? "success" : "error", text),
    h(
      "p",
      { class: "actions" },
      changed && !signedIn ? link(href("login"), "Log in", "button button-primary") : link(href("account"), "Go to your account", "button button-primary"),
    ),
  );
};
