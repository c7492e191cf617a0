import type { IdentityProof } from "../api/client";
import { ApiError, cancellation } from "../api/problem";
import { h, message, setButtonBusy, uid, type Child } from "../dom";
import { authenticatorCode } from "../format";
import { createForm } from "../forms";
import { describeProofFailure, passkeyProofFailedText } from "../messages";
import { identityProofMethods } from "../session";
import { getPasskey, isCeremonyCancelled, type Credentials, type RequestOptionsJSON } from "../webauthn";

export const confirmIdentityTitle = "Confirm it's you";

export interface ConfirmIdentityOptions {
  /** The signed-in person's address, so a password manager offers the right password. */
  email?: string | null;
  /** Aborted when the page is left (navigation, logout in another tab): the dialog closes as if cancelled. */
  signal?: AbortSignal;
  /** Whether TOTP is on (`mfa.totp` of `GET /auth/user`): false hides the code, null (not known) offers it. */
  totp?: boolean | null;
  /** Given where the browser can use passkeys: the challenge (`POST /auth/passkeys/login-options`) and the browser's prompt. */
  passkey?: PasskeyCeremony | null;
}

export interface PasskeyCeremony {
  options: () => Promise<RequestOptionsJSON>;
  credentials: Credentials;
}

type Prove = (proof: IdentityProof) => Promise<void>;

/** One way to prove who you are inside the dialog, by typing something in. */
interface ProofMethod {
  element: HTMLElement;
  /** Where focus goes when the dialog opens. */
  initialFocus: HTMLElement;
}

export type ConfirmIdentityDialog = (prove: Prove, options?: ConfirmIdentityOptions) => Promise<void>;

/**
 * The in-place "Confirm it's you" prompt the API client shows on `403 reauthentication_required`
 * (an `IdentityPrompt` once given its options): a modal dialog asking for the password, or a code
 * from the authenticator app, or a passkey. Resolves
 * once the server accepted a proof; rejects with an `AbortError` on Cancel, Escape, or when the
 * page is left. Focus moves into the dialog and goes back where it was when it closes.
 */
export function createConfirmIdentityDialog(doc: Document): ConfirmIdentityDialog {
  // The button that started the action is disabled while it is busy, which takes focus from it
  // before the dialog opens; and Safari does not focus a clicked button at all. So the dialog
  // remembers what was last focused or clicked, to give focus back to it.
  let lastActive: HTMLElement | null = null;
  doc.addEventListener("focusin", (event) => {
    if (event.target instanceof HTMLElement) lastActive = event.target;
  });
  doc.addEventListener(
    "click",
    (event) => {
      const control = event.target instanceof Element ? event.target.closest("button, a[href], input, select, textarea") : null;
      if (control instanceof HTMLElement) lastActive = control;
    },
    true,
  );
  const opener = (): HTMLElement | null => {
    const active = doc.activeElement;
    if (active instanceof HTMLElement && active !== doc.body) return active;
    return lastActive?.isConnected ? lastActive : null;
  };
  return (prove, options = {}) => openDialog(prove, options, opener());
}

function openDialog(prove: Prove, options: ConfirmIdentityOptions, opener: HTMLElement | null): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(cancellation("The page was left"));

  return new Promise<void>((resolve, reject) => {
    const titleId = uid("dialog-title");
    const descriptionId = uid("dialog-description");
    let settled = false;
    // Ends a passkey prompt still open when the dialog closes.
    const ceremony = new AbortController();

    const finish = (outcome: "proven" | "cancelled" | "left") => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", leave);
      ceremony.abort();
      if (dialog.open) dialog.close();
      dialog.remove();
      if (outcome === "proven") {
        restoreFocus(opener);
        resolve();
        return;
      }
      if (outcome === "cancelled") restoreFocus(opener);
      reject(cancellation(outcome === "left" ? "The page was left" : "Confirming it's you was cancelled"));
    };
    const leave = () => finish("left");

    // Each form has its own Cancel: only one form is in the dialog at a time.
    const cancelButton = () => {
      const cancel = h("button", { type: "button", class: "button button-secondary" }, "Cancel");
      cancel.addEventListener("click", () => finish("cancelled"));
      return cancel;
    };
    const proven = () => finish("proven");

    const offered = identityProofMethods(options.totp ?? null, !!options.passkey);
    const password = passwordMethod(prove, proven, cancelButton(), options.email);
    const code = offered.includes("code") ? codeMethod(prove, proven, cancelButton()) : null;
    const ledes = {
      password: "For your security, enter your password again to continue.",
      code: "For your security, enter a code from your authenticator app to continue.",
    };
    const lede = h("p", { id: descriptionId, class: "lede" }, ledes.password);
    const formSlot = h("div", null, password.element);
    const toggle = h("button", { type: "button", class: "link-button" }, "Use a code from your authenticator app");
    let showing: "password" | "code" = "password";
    toggle.addEventListener("click", () => {
      showing = showing === "password" ? "code" : "password";
      const method = showing === "code" && code ? code : password;
      lede.textContent = ledes[showing];
      toggle.textContent = showing === "code" ? "Use your password instead" : "Use a code from your authenticator app";
      formSlot.replaceChildren(method.element);
      method.initialFocus.focus();
    });
    const passkeySlot = h("div", { class: "status-slot" });
    const passkeyButton = options.passkey ? passkeyMethod(options.passkey, prove, proven, passkeySlot, ceremony.signal) : null;

    const dialog = h(
      "dialog",
      { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, "aria-describedby": descriptionId },
      h("h2", { id: titleId }, confirmIdentityTitle),
      lede,
      formSlot,
      passkeyButton ? h("div", { class: "providers" }, h("p", { class: "divider" }, h("span", null, "or")), passkeySlot, passkeyButton) : null,
      code ? h("p", { class: "dialog-alternative" }, toggle) : null,
      h("p", { class: "field-hint dialog-hint" }, "If you have no password, sign out and sign in again with your provider, then retry."),
    );
    // Escape: the browser's "cancel"; prevented so the dialog closes only through `finish`.
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish("cancelled");
    });
    // Closed by the browser anyway (a repeated Escape is not always cancellable).
    dialog.addEventListener("close", () => finish("cancelled"));
    signal?.addEventListener("abort", leave, { once: true });

    document.body.append(dialog);
    dialog.showModal();
    password.initialFocus.focus();
  });
}

function passwordMethod(prove: Prove, proven: () => void, secondary: Child, email?: string | null): ProofMethod {
  const form = createForm({
    fields: [{ name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true, requiredMessage: "Enter your password." }],
    submitLabel: "Confirm",
    busyLabel: "Confirming…",
    // Lets password managers know whose password this is.
    beforeSubmit: email ? h("input", { type: "email", name: "username", autocomplete: "username", value: email, hidden: true, readonly: true, tabindex: -1 }) : null,
    secondary,
    async onSubmit(form) {
      try {
        await prove({ password: form.value("password") });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // invalid_credentials, rate_limited (with the wait), …: said in the dialog, which stays open for another try.
        form.alert("error", describeProofFailure(error.problem, "password"));
        const input = form.input("password");
        input.focus();
        input.select();
        return;
      }
      proven();
    },
  });
  return { element: form.element, initialFocus: form.input("password") };
}

function codeMethod(prove: Prove, proven: () => void, secondary: Child): ProofMethod {
  const form = createForm({
    fields: [
      {
        name: "code",
        label: "Authentication code",
        hint: "Enter the 6-digit code from your authenticator app.",
        autocomplete: "one-time-code",
        required: true,
        requiredMessage: "Enter the 6-digit code from your authenticator app.",
        maxLength: 9,
      },
    ],
    submitLabel: "Confirm",
    busyLabel: "Confirming…",
    secondary,
    validate: (form) =>
      form.value("code") && !authenticatorCode(form.value("code"))
        ? [{ field: "code", code: "invalid_format", message: "Enter the 6 digits your authenticator app shows." }]
        : [],
    async onSubmit(form) {
      try {
        await prove({ code: authenticatorCode(form.value("code")) ?? "" });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        form.alert("error", describeProofFailure(error.problem, "code"));
        const input = form.input("code");
        input.focus();
        input.select();
        return;
      }
      proven();
    },
  });
  form.input("code").setAttribute("inputmode", "numeric");
  return { element: form.element, initialFocus: form.input("code") };
}

/**
 * "Use a passkey": the server's challenge, the browser's prompt, then the answer as the proof.
 * Closing the prompt (or its timing out) goes back to the dialog without a word.
 */
function passkeyMethod(passkey: PasskeyCeremony, prove: Prove, proven: () => void, slot: HTMLElement, signal: AbortSignal): HTMLButtonElement {
  const label = "Use a passkey";
  const button = h("button", { type: "button", class: "button button-secondary button-block" }, label);
  button.addEventListener("click", async () => {
    setButtonBusy(button, "Waiting for your passkey…", label);
    slot.replaceChildren();
    try {
      const options = await passkey.options();
      if (signal.aborted) return;
      const credential = await getPasskey(passkey.credentials, options, signal);
      if (signal.aborted) return;
      await prove({ credential });
    } catch (error) {
      if (signal.aborted) return;
      setButtonBusy(button, null, label);
      button.focus();
      if (isCeremonyCancelled(error)) return;
      if (!(error instanceof ApiError)) console.error(error);
      slot.replaceChildren(message("error", error instanceof ApiError ? describeProofFailure(error.problem, "passkey") : passkeyProofFailedText));
      return;
    }
    proven();
  });
  return button;
}

/**
 * Gives focus back to where it was. A button busy with the action that asked for the proof is
 * disabled until that action settles, so it gets focus back then, unless focus has moved on.
 */
function restoreFocus(target: HTMLElement | null): void {
  if (!target || target === document.body || !target.isConnected) return;
  if (!(target instanceof HTMLButtonElement && target.disabled)) {
    target.focus();
    return;
  }
  const observer = new MutationObserver(() => {
    if (target.disabled) return;
    observer.disconnect();
    const current = document.activeElement;
    if (target.isConnected && (!current || current === document.body)) target.focus();
  });
  observer.observe(target, { attributes: true, attributeFilter: ["disabled"] });
}
