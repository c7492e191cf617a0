import type { Api, Passkey } from "../api/endpoints";
import { ApiError, isCancellation } from "../api/problem";
import { h, message, setButtonBusy } from "../dom";
import { createForm } from "../forms";
import { formatDateTime, timeAgo } from "../format";
import { defaultPasskeyName, describePasskeyProblem, passkeyNameMaxLength, passkeyOnDeviceText, passkeysUnsupportedText } from "../messages";
import { createPasskey, isAlreadyRegistered, isCeremonyCancelled, passkeysSupported, type PasskeyScope } from "../webauthn";
import { failure } from "./failure";

const addLabel = "Add a passkey";

/**
 * The account page's "Passkeys" (CONTRACT "Second factors"): the account's passkeys, each with
 * "Remove", and "Add a passkey", which asks for a name, then the server's options (needs recent
 * authentication: the API client asks in place), then the browser's own prompt. Closing that
 * prompt is not an error. A browser without WebAuthn still lists and removes passkeys (a lost
 * phone's, say), and says why it can't add one. `onChange` runs once one was added or removed.
 */
export function passkeysSection(api: Api, signal: AbortSignal, onChange?: () => void): HTMLElement {
  const headingId = "passkeys-heading";
  const heading = h("h2", { id: headingId, tabindex: -1 }, "Passkeys");
  const status = h("div", { class: "status-slot" });
  const region = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Loading your passkeys…"));
  const actions = h("div", { class: "section-actions" });
  const supported = passkeysSupported(window as unknown as PasskeyScope);

  const say = (kind: "info" | "success", text: string) => status.replaceChildren(message(kind, text));
  const changed = async (focus = true) => {
    onChange?.();
    await load();
    if (focus && !signal.aborted) heading.focus();
  };

  const load = (): Promise<unknown> => {
    region.setAttribute("aria-busy", "true");
    return api.passkeys().then(
      (list) => !signal.aborted && render(Array.isArray(list) ? list : []),
      (error) => !signal.aborted && region.replaceChildren(failure(error, load)),
    ).finally(() => region.setAttribute("aria-busy", "false"));
  };

  const render = (passkeys: Passkey[]) => {
    region.replaceChildren(
      passkeys.length
        ? h("ul", { class: "session-list passkey-list", "aria-labelledby": headingId }, passkeys.map(passkeyItem))
        : h("p", { class: "empty" }, "No passkeys yet."),
    );
  };

  const passkeyItem = (passkey: Passkey): HTMLLIElement => {
    const item = h("li", { class: "session" });
    const showDetails = () => {
      const remove = h("button", { type: "button", class: "button button-secondary button-small", "aria-label": `Remove ${passkey.name}` }, "Remove");
      remove.addEventListener("click", () => {
        status.replaceChildren();
        showConfirm();
      });
      item.replaceChildren(
        h(
          "div",
          { class: "session-text" },
          h("p", { class: "session-device" }, passkey.name),
          h(
            "p",
            { class: "session-meta" },
            "Added ",
            h("time", { datetime: passkey.createdAt }, formatDateTime(passkey.createdAt)),
            " · ",
            passkey.lastUsedAt
              ? ["Last used ", h("time", { datetime: passkey.lastUsedAt, title: formatDateTime(passkey.lastUsedAt) }, timeAgo(passkey.lastUsedAt))]
              : "Not used yet",
          ),
        ),
        remove,
      );
      return remove;
    };
    const showConfirm = () => {
      const label = "Remove passkey";
      const yes = h("button", { type: "button", class: "button button-danger button-small" }, label);
      const no = h("button", { type: "button", class: "button button-secondary button-small" }, "Keep it");
      const alert = h("div");
      no.addEventListener("click", () => showDetails().focus());
      yes.addEventListener("click", async () => {
        setButtonBusy(yes, "Removing…", label);
        no.disabled = true;
        alert.replaceChildren();
        try {
          await api.removePasskey(passkey.id);
          if (signal.aborted) return;
          say("success", `“${passkey.name}” was removed. It no longer signs you in; you can also delete it from your device.`);
        } catch (error) {
          if (signal.aborted) return;
          if (!(error instanceof ApiError && error.status === 404)) {
            setButtonBusy(yes, null, label);
            no.disabled = false;
            // A cancelled "Confirm it's you": nothing happened, nothing to say.
            if (!isCancellation(error)) {
              alert.replaceChildren(error instanceof ApiError ? message("error", describePasskeyProblem(error.problem, "remove")) : failure(error));
            }
            return;
          }
          // Removed meanwhile (another tab or device): the list was stale.
          say("info", `“${passkey.name}” was already removed. The list is up to date.`);
        }
        await changed();
      });
      item.replaceChildren(
        h(
          "div",
          { class: "confirm", role: "group", "aria-label": `Remove ${passkey.name}?` },
          h("p", null, "Remove ", h("strong", null, passkey.name), "? You won't be able to sign in with it any more."),
          alert,
          h("div", { class: "project-actions" }, yes, no),
        ),
      );
      no.focus();
    };
    showDetails();
    return item;
  };

  function showAddButton() {
    if (!supported) {
      actions.replaceChildren(h("p", { class: "muted passkeys-unsupported" }, passkeysUnsupportedText));
      return;
    }
    const add = h("button", { type: "button", class: "button button-primary" }, addLabel);
    add.addEventListener("click", () => {
      status.replaceChildren();
      showAddForm();
    });
    actions.replaceChildren(add);
  }

  function showAddForm() {
    const cancel = h("button", { type: "button", class: "button button-secondary" }, "Cancel");
    cancel.addEventListener("click", () => {
      showAddButton();
      actions.querySelector("button")?.focus();
    });
    const form = createForm({
      fields: [
        {
          name: "name",
          label: "Passkey name",
          hint: "So you can tell your passkeys apart, for example by the device or password manager that keeps it.",
          value: defaultPasskeyName(navigator.userAgent),
          required: true,
          requiredMessage: "Name the passkey.",
          maxLength: passkeyNameMaxLength,
        },
      ],
      submitLabel: "Create passkey",
      busyLabel: "Waiting for your passkey…",
      secondary: cancel,
      className: "passkey-form",
      async onSubmit(form) {
        const name = form.value("name");
        const options = await api.passkeyRegistrationOptions();
        if (signal.aborted) return;
        let credential;
        try {
          credential = await createPasskey(navigator.credentials, options, signal);
        } catch (error) {
          if (signal.aborted) return;
          if (isAlreadyRegistered(error)) return form.alert("info", passkeyOnDeviceText);
          // The person closed the browser's prompt (or let it time out): back to the form, quietly.
          if (isCeremonyCancelled(error)) return;
          console.error(error);
          return form.alert("error", "Your browser couldn't create a passkey. Please try again, or use another device.");
        }
        let added: Passkey;
        try {
          added = await api.addPasskey(credential, name);
        } catch (error) {
          if (!(error instanceof ApiError) || signal.aborted) throw error;
          if (error.code === "passkey_refused") return form.alert("error", describePasskeyProblem(error.problem, "add"));
          if (error.code !== "passkey_exists") throw error; // validation_failed (the name), rate_limited, …: the form explains
          say("info", describePasskeyProblem(error.problem, "add"));
          showAddButton();
          await load();
          return;
        }
        if (signal.aborted) return;
        say("success", `“${added.name ?? name}” was added. Next time, choose “Sign in with a passkey” on the login page.`);
        showAddButton();
        await changed();
      },
    });
    actions.replaceChildren(form.element);
    const input = form.input("name") as HTMLInputElement;
    input.focus();
    input.select();
  }

  showAddButton();
  load();

  return h(
    "section",
    { class: "panel", "aria-labelledby": headingId },
    heading,
    h(
      "p",
      { class: "muted" },
      "Sign in with your fingerprint, face or screen lock instead of your password. A passkey stays with your device or password manager and can't be phished. With two-step verification on, it can also stand in for the code after your password.",
    ),
    status,
    region,
    actions,
  );
}
