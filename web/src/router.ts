/** A router over the History API: one table of routes, link interception, `navigate()`. */
export interface RouteLike {
  readonly path: string;
}

export interface RouteMatch<R extends RouteLike> {
  /** The matching route, or null for an unknown path (the not-found page). */
  route: R | null;
  path: string;
  query: URLSearchParams;
  /** Path and query, as used for `?next=`. */
  location: string;
}

/** Drops a trailing slash (except on `/`) so `/account/` and `/account` are the same page. */
export function normalizePath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return trimmed || "/";
}

/** Finds the route for a path and query such as `/reset-password?token=abc`. */
export function matchRoute<R extends RouteLike>(table: readonly R[], location: string): RouteMatch<R> {
  const url = new URL(location, "http://spa.invalid");
  const path = normalizePath(url.pathname);
  const route = table.find((candidate) => candidate.path === path) ?? null;
  return { route, path, query: url.searchParams, location: path + url.search };
}

export interface Router<R extends RouteLike> {
  current(): RouteMatch<R>;
  navigate(to: string, options?: { replace?: boolean }): void;
  /** Starts listening to `popstate` and to clicks on same-origin links; returns a stop function. */
  start(): () => void;
}

/** Whether a click on a link is a plain left click this router should take over. */
export function shouldIntercept(event: MouseEvent, anchor: HTMLAnchorElement, here: Location): boolean {
  if (event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (anchor.target && anchor.target !== "_self") return false;
  if (anchor.hasAttribute("download") || anchor.getAttribute("rel")?.split(/\s+/).includes("external")) return false;
  if (anchor.origin !== here.origin) return false;
  // In-page fragments (the skip link) are the browser's job.
  return !(anchor.hash && anchor.pathname === here.pathname && anchor.search === here.search);
}

export function createRouter<R extends RouteLike>(
  table: readonly R[],
  win: Window,
  onChange: (match: RouteMatch<R>) => void,
): Router<R> {
  const current = () => matchRoute(table, win.location.pathname + win.location.search);

  const navigate = (to: string, options: { replace?: boolean } = {}) => {
    const target = new URL(to, win.location.href);
    if (target.origin !== win.location.origin) {
      win.location.assign(target.href);
      return;
    }
    const location = target.pathname + target.search + target.hash;
    const here = win.location.pathname + win.location.search + win.location.hash;
    if (options.replace || location === here) win.history.replaceState(null, "", location);
    else win.history.pushState(null, "", location);
    onChange(current());
  };

  const onPopState = () => onChange(current());

  const onClick = (event: MouseEvent) => {
    const anchor = (event.target as Element | null)?.closest?.("a[href]");
    if (!(anchor instanceof HTMLAnchorElement) || !shouldIntercept(event, anchor, win.location)) return;
    event.preventDefault();
    navigate(anchor.href);
  };

  return {
    current,
    navigate,
    start() {
      win.addEventListener("popstate", onPopState);
      win.document.addEventListener("click", onClick);
      return () => {
        win.removeEventListener("popstate", onPopState);
        win.document.removeEventListener("click", onClick);
      };
    },
  };
}
