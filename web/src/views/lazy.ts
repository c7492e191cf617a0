import { h, pageHeading } from "../dom";
import type { View } from "./context";
import { failure } from "./failure";

/**
 * A page whose code is a chunk of its own, fetched on the first visit (`import()`), so it costs
 * the first load nothing. Until it arrives the page shows its heading (which takes focus as any
 * page's does) and "Loading…"; a failed fetch (offline, or a new deployment replaced the chunk)
 * can be retried.
 */
export function lazyView(heading: string, load: () => Promise<View>): View {
  let loaded: View | null = null;
  return (context) => {
    if (loaded) return loaded(context);
    let slot: HTMLElement = h("p");
    const placeholder = h("div", null, pageHeading(heading), slot);
    const show = (node: HTMLElement) => {
      slot.replaceWith(node);
      slot = node;
    };
    const fetchView = () => {
      show(h("p", { class: "loading", role: "status" }, "Loading…"));
      load().then(
        (view) => {
          loaded = view;
          if (context.signal.aborted) return;
          const hadFocus = placeholder.contains(document.activeElement);
          const page = view(context);
          placeholder.replaceWith(page);
          if (hadFocus && page instanceof Element) page.querySelector<HTMLElement>(".page-title")?.focus();
        },
        (error) => !context.signal.aborted && show(failure(error, fetchView)),
      );
    };
    fetchView();
    return placeholder;
  };
}
