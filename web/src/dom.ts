/** Builds DOM nodes without HTML strings, so server data can never become markup. */
export type Child = Node | string | number | null | undefined | false;
type AttributeValue = string | number | boolean | null | undefined;
type Listener = (event: Event) => void;
export type Attributes = Record<string, AttributeValue | Listener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** The page heading every view starts with; focus moves to it after navigation. */
export function pageHeading(text: string): HTMLHeadingElement {
  return h("h1", { class: "page-title", tabindex: -1 }, text);
}

/** A link to another page of the SPA (the router intercepts the click). */
export function link(href: string, text: Child, className?: string): HTMLAnchorElement {
  return h("a", { href, class: className }, text);
}

/** A status or alert box. Alerts are announced at once; statuses politely. */
export function message(kind: "info" | "success" | "error", ...content: (Child | Child[])[]): HTMLDivElement {
  return h("div", { class: `message message-${kind}`, role: kind === "error" ? "alert" : "status" }, ...content);
}

/** Puts a button in its busy state (disabled, `aria-busy`, `busyLabel` shown), or back to `idleLabel` when `busyLabel` is null. */
export function setButtonBusy(button: HTMLButtonElement, busyLabel: string | null, idleLabel: string): void {
  button.disabled = busyLabel !== null;
  button.setAttribute("aria-busy", String(busyLabel !== null));
  button.textContent = busyLabel ?? idleLabel;
}

let counter = 0;
/** A document-unique id for label/description wiring. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Saves text as a file through a Blob URL (the link is never in the page, so the router never sees it). */
export function saveFile(filename: string, text: string, type = "text/plain;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  h("a", { href: url, download: filename }).click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
