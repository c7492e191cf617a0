/**
 * Where a list paged by the server's opaque cursors is (`?cursor=` in, `nextCursor` out): the
 * cursor that fetched the page shown (null: the first page), those of the pages before it, for
 * "Previous page", and the next page's (null: the page shown is the last, or has not arrived yet).
 * Values are never changed in place: each step returns a new one.
 */
export interface CursorPages {
  cursor: string | null;
  before: (string | null)[];
  next: string | null;
}

export function firstPage(): CursorPages {
  return { cursor: null, before: [], next: null };
}

/** The page shown has arrived with its `nextCursor`: anything but a non-empty string means it is the last. */
export function pageArrived(pages: CursorPages, nextCursor: unknown): CursorPages {
  return { ...pages, next: typeof nextCursor === "string" && nextCursor ? nextCursor : null };
}

/** The page after the one shown, or null when there is none. */
export function nextPage(pages: CursorPages): CursorPages | null {
  return pages.next === null ? null : { cursor: pages.next, before: [...pages.before, pages.cursor], next: null };
}

/** The page before the one shown, or null on the first. */
export function previousPage(pages: CursorPages): CursorPages | null {
  if (!pages.before.length) return null;
  return { cursor: pages.before[pages.before.length - 1], before: pages.before.slice(0, -1), next: null };
}

/** 1 for the first page. */
export function pageNumber(pages: CursorPages): number {
  return pages.before.length + 1;
}
