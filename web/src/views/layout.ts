import { h, type Child } from "../dom";
import { href, type RouteName } from "../routes";
import { displayName, isAdmin, type User } from "../state";

function brand(to: string): HTMLAnchorElement {
  return h("a", { href: to, class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }), h("span", { class: "brand-text" }, "Gatehouse"));
}

/** The calm centred card of the sign-in pages. */
export function authLayout(content: Node): HTMLElement {
  return h(
    "div",
    { class: "auth-layout" },
    h("header", { class: "auth-brand" }, brand(href("login"))),
    h("main", { id: "main", class: "card auth-card", tabindex: -1 }, content),
    h("footer", { class: "auth-footer" }, "Gatehouse · self-hosted sign-in"),
  );
}

/** The app: a simple header with navigation ("Admin" for administrators only), the user's name and "Log out". */
export function appLayout(options: { user: User | null; current: RouteName | null; onLogout: () => Promise<void>; content: Node }): HTMLElement {
  const nav = (name: RouteName, label: string): Child =>
    h("a", { href: href(name), class: "nav-link", "aria-current": options.current === name ? "page" : undefined }, label);
  const logout = h("button", { type: "button", class: "button button-quiet" }, "Log out");
  const logoutError = h("div", { class: "header-alert" });
  logout.addEventListener("click", async () => {
    logout.disabled = true;
    logout.setAttribute("aria-busy", "true");
    logout.textContent = "Logging out…";
    try {
      await options.onLogout();
    } catch {
      logoutError.replaceChildren(h("p", { role: "alert", class: "message message-error" }, "We couldn't log you out. Check your connection and try again."));
      logout.disabled = false;
      logout.setAttribute("aria-busy", "false");
      logout.textContent = "Log out";
    }
  });
  return h(
    "div",
    { class: "app-layout" },
    h("a", { href: "#main", class: "skip-link" }, "Skip to content"),
    h(
      "header",
      { class: "app-header" },
      h(
        "div",
        { class: "app-header-inner" },
        brand(href("home")),
        h("nav", { class: "app-nav", "aria-label": "Main" }, nav("home", "Projects"), nav("account", "Account"), isAdmin(options.user) && nav("admin", "Admin")),
        h(
          "div",
          { class: "app-user" },
          options.user ? h("span", { class: "app-user-name" }, h("span", { class: "visually-hidden" }, "Signed in as "), displayName(options.user)) : null,
          logout,
        ),
      ),
      logoutError,
    ),
    h("main", { id: "main", class: "app-main", tabindex: -1 }, options.content),
  );
}
