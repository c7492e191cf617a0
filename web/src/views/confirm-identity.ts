import type { IdentityProof } from "../api/client";
import { ApiError, cancellation } from "../api/problem";
import { h, uid, type Child } from "../dom";
import { createForm } from "../forms";
import { describeProofFailure } from "../messages";

export const confirmIdentityTitle = "Confirm it's you";

export interface ConfirmIdentityOptions {
  /** The signed-in person's address, so a password manager offers the right password. */
  email?: string | null;
  /** Aborted when the page is left (navigation, logout in another tab): the dialog closes as if cancelled. */
  signal?: AbortSignal;
}

type Prove = (proof: IdentityProof) => Promise<void>;

/** One way to prove who you are inside the dialog. Codes and passkeys will be more of these. */
interface ProofMethod {
  element: HTMLElement;
  /** Where focus goes when the dialog opens. */
  initialFocus: HTMLElement;
}

export type ConfirmIdentityDialog = (prove: Prove, options?: ConfirmIdentityOptions) => Promise<void>;

/**
 * The in-place "Confirm it's you" prompt the API client shows on `403 reauthentication_required`
 * (an `IdentityPrompt` once given its options): a modal dialog asking for the password. Resolves
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

    const finish = (outcome: "proven" | "cancelled" | "left") => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", leave);
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

    const cancel = h("button", { type: "button", class: "button button-secondary" }, "Cancel");
    cancel.addEventListener("click", () => finish("cancelled"));

    const methods = [passwordMethod(prove, () => finish("proven"), cancel, options.email)];

    const dialog = h(
      "dialog",
      { class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, "aria-describedby": descriptionId },
      h("h2", { id: titleId }, confirmIdentityTitle),
      h("p", { id: descriptionId, class: "lede" }, "For your security, enter your password again to continue."),
      methods.map((method) => method.element),
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
    methods[0].initialFocus.focus();
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
        form.alert("error", describeProofFailure(error.problem));
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
