import { h, link, pageHeading } from "../dom";
import { href } from "../routes";
import type { View } from "./context";

export const notFoundView: View = () =>
  h(
    "div",
    null,
    pageHeading("Page not found"),
    h("p", { class: "lede" }, "There's no page at this address. It may have moved, or the link may be mistyped."),
    h("p", { class: "actions" }, link(href("home"), "Go to your projects", "button button-primary")),
  );
