/**
 * Every page of the SPA, named once. `access` says who may see it: `app` pages need a session
 * (anonymous visitors go to the login page and come back), `guest` pages send a signed-in user to
 * the app, `public` pages are for everyone.
 */
export const routes = [
  { name: "home", path: "/", title: "Projects", access: "app" },
  { name: "account", path: "/account", title: "Account", access: "app" },
  { name: "admin", path: "/admin", title: "Administration", access: "app" },
  { name: "login", path: "/login", title: "Log in", access: "guest" },
  { name: "register", path: "/register", title: "Create an account", access: "guest" },
  { name: "checkEmail", path: "/check-email", title: "Check your email", access: "public" },
  { name: "confirmAccount", path: "/confirm-account", title: "Confirm your account", access: "public" },
  { name: "confirmEmail", path: "/confirm-email", title: "Confirm your new email address", access: "public" },
  { name: "resendVerification", path: "/resend-verification", title: "Resend the confirmation email", access: "public" },
  { name: "forgotPassword", path: "/forgot-password", title: "Forgot your password", access: "public" },
  { name: "resetPassword", path: "/reset-password", title: "Choose a new password", access: "public" },
  { name: "callback", path: "/auth/callback", title: "Signing you in", access: "public" },
] as const;

export type RouteDefinition = (typeof routes)[number];
export type RouteName = RouteDefinition["name"];

/** The URL of a named page, with an optional query. */
export function href(name: RouteName, query?: Record<string, string | undefined>): string {
  const route = routes.find((candidate) => candidate.name === name);
  if (!route) throw new Error(`Unknown route ${name}`);
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, value);
  const search = params.toString();
  return search ? `${route.path}?${search}` : route.path;
}

const spaOrigin = "http://spa.invalid";

/**
 * A safe place to return to after login: a path on this origin only (never `//host` or a scheme),
 * so `?next=` cannot be turned into an open redirect. The path is judged, and returned, as the
 * browser resolves it: `/..//evil.com` becomes `//evil.com`, which `history.replaceState` would
 * read as another host (and refuse with an exception).
 */
export function safeNext(next: string | null | undefined, fallback = "/"): string {
  if (!next || !next.startsWith("/") || /[\u0000-\u001f]/.test(next)) return fallback;
  let target: URL;
  try {
    target = new URL(next, spaOrigin);
  } catch {
    return fallback;
  }
  if (target.origin !== spaOrigin || target.pathname.startsWith("//")) return fallback;
  return target.pathname + target.search + target.hash;
}

/**
 * A link off the SPA that the browser may follow (a provider's authorization page), resolved
 * against `base` (the Auth Server): http(s) only, so no server answer can make the page run
 * `javascript:` or open `data:`. Null for anything else.
 */
export function externalUrl(link: unknown, base: string): string | null {
  if (typeof link !== "string" || !link) return null;
  try {
    const url = new URL(link, `${base.replace(/\/+$/, "")}/`);
    return /^https?:$/.test(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}
