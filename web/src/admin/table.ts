import { h, type Child } from "../dom";
import { formatDateTime, timeAgo } from "../format";

/** A column of an administration table; the first column's cells are the rows' header cells. */
export interface Column<T> {
  heading: string;
  cell: (item: T) => Child | Child[];
}

/** A plain data table: a caption (for screen readers: the section's heading is visible), column headings, a row per item. */
export function dataTable<T>(caption: string, columns: readonly Column<T>[], items: readonly T[], rowTestId?: string): HTMLTableElement {
  return h(
    "table",
    { class: "data-table", tabindex: -1 },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", null, h("tr", null, columns.map((column) => h("th", { scope: "col" }, column.heading)))),
    h(
      "tbody",
      null,
      items.map((item) =>
        h(
          "tr",
          { "data-testid": rowTestId },
          columns.map((column, index) => (index === 0 ? h("th", { scope: "row" }, column.cell(item)) : h("td", null, column.cell(item)))),
        ),
      ),
    ),
  );
}

/** A table that scrolls sideways on a narrow screen instead of widening the page. */
export function scrolling(table: HTMLTableElement): HTMLDivElement {
  return h("div", { class: "table-scroll" }, table);
}

/** A timestamp: the date and time, or (`relative`) "3 days ago" with the date and time on hover. "Never" for none. */
export function when(iso: string | null | undefined, relative = false): Child {
  if (!iso) return "Never";
  return h("time", { datetime: iso, title: relative ? formatDateTime(iso) : undefined }, relative ? timeAgo(iso) : formatDateTime(iso));
}

export function yesNo(value: boolean): string {
  return value ? "Yes" : "No";
}

/** The first characters of an id, the whole of it on hover: enough to tell accounts apart in a table. */
export function shortId(id: string): Child {
  return h("code", { title: id }, id.slice(0, 8));
}
