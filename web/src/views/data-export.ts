import type { Api } from "../api/endpoints";
import { h, message, saveFile, setButtonBusy } from "../dom";
import { failure } from "./failure";

const label = "Download my data";

/** The account page's "Your data": everything the Auth Server holds about the account, saved as `gatehouse-export.json`. */
export function dataExportSection(api: Api, signal: AbortSignal): HTMLElement {
  const headingId = "data-export-heading";
  const status = h("div", { class: "status-slot" });
  const button = h("button", { type: "button", class: "button button-secondary" }, label);
  button.addEventListener("click", async () => {
    setButtonBusy(button, "Preparing your data…", label);
    status.replaceChildren();
    try {
      const data = await api.exportAccount();
      if (signal.aborted) return;
      saveFile("gatehouse-export.json", JSON.stringify(data, null, 2), "application/json");
      status.replaceChildren(message("success", "Your data was saved as gatehouse-export.json."));
    } catch (error) {
      if (!signal.aborted) status.replaceChildren(failure(error));
    }
    setButtonBusy(button, null, label);
  });
  return h(
    "section",
    { class: "panel", "aria-labelledby": headingId },
    h("h2", { id: headingId }, "Your data"),
    h("p", { class: "muted" }, "A copy of everything we hold about your account, as a JSON file."),
    status,
    h("div", { class: "actions" }, button),
  );
}
