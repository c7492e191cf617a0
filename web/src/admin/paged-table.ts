import { h } from "../dom";
import { failure } from "../views/failure";
import type { CursorPage } from "./api";
import { firstPage, nextPage, pageArrived, pageNumber, previousPage, type CursorPages } from "./cursor-paging";
import { describeAdminProblem } from "./messages";
import { dataTable, scrolling, type Column } from "./table";

export interface PagedTableOptions<T> {
  /** What the rows are ("Accounts"): the table's caption. */
  caption: string;
  columns: readonly Column<T>[];
  rowTestId: string;
  /** Said when the first page is empty. */
  empty: string;
  fetch: (cursor: string | null) => Promise<CursorPage<T>>;
  signal: AbortSignal;
}

export interface PagedTable {
  element: HTMLElement;
  /** Shows the first page (for a new search or filter). */
  restart(): Promise<void>;
  /** Shows the page shown again (after a change to one of its rows). */
  reload(): Promise<void>;
}

/**
 * A table over a list the server pages with cursors, with "Previous page" and "Next page". The
 * page shown stays until the next one arrives; only the latest request's answer is shown.
 */
export function pagedTable<T>(options: PagedTableOptions<T>): PagedTable {
  const { caption, signal } = options;
  let pages = firstPage();
  let latest = 0;
  let table: HTMLTableElement | null = null;
  const region = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Loading…"));
  const previous = h("button", { type: "button", class: "button button-secondary button-small" }, "Previous page");
  const next = h("button", { type: "button", class: "button button-secondary button-small" }, "Next page");
  const where = h("span", { class: "muted" });
  const pager = h("div", { class: "pager", role: "group", "aria-label": `${caption}: pages`, hidden: true }, previous, where, next);

  const updatePager = () => {
    previous.disabled = !previousPage(pages);
    next.disabled = !nextPage(pages);
    where.textContent = `Page ${pageNumber(pages)}`;
    pager.hidden = previous.disabled && next.disabled;
  };

  const show = (target: CursorPages, focus = false): Promise<void> => {
    const request = ++latest;
    const current = () => request === latest && !signal.aborted;
    pages = target;
    previous.disabled = next.disabled = true;
    region.setAttribute("aria-busy", "true");
    return options.fetch(target.cursor).then(
      (page) => {
        if (!current()) return;
        pages = pageArrived(target, page.nextCursor);
        table = page.items.length ? dataTable(caption, options.columns, page.items, options.rowTestId) : null;
        region.replaceChildren(table ? scrolling(table) : h("p", { class: "empty" }, options.empty));
        updatePager();
        if (focus) table?.focus();
      },
      (error) => {
        if (!current()) return;
        table = null;
        region.replaceChildren(failure(error, () => show(target, focus), describeAdminProblem));
        pager.hidden = true;
      },
    ).finally(() => request === latest && region.setAttribute("aria-busy", "false"));
  };

  previous.addEventListener("click", () => {
    const target = previousPage(pages);
    if (target) show(target, true);
  });
  next.addEventListener("click", () => {
    const target = nextPage(pages);
    if (target) show(target, true);
  });

  return {
    element: h("div", null, region, pager),
    restart: () => show(firstPage()),
    reload: () => show({ ...pages, next: null }),
  };
}
