import type { Api, TotpEnrolment } from "../api/endpoints";
import { ApiError, isCancellation } from "../api/problem";
import { h, message, saveFile, setButtonBusy } from "../dom";
import { authenticatorCode, groupInFours } from "../format";
import { createForm } from "../forms";
import { recoveryCodesFile } from "../messages";
import { totpStatus } from "../session";
import { failure } from "./failure";

export const qrCodeLabel = "QR code for your authenticator app";

const setUpLabel = "Set up two-step verification";

/**
 * The account page's "Two-step verification" (TOTP, CONTRACT "Second factors"). Off: "Set up"
 * shows a QR code and the key of a new secret, then a code from the app turns it on and the
 * recovery codes are shown, once. On: a new set of recovery codes, or turning it off. Every change
 * needs recent authentication, which the API client asks for in place ("Confirm it's you");
 * cancelling it leaves the section as it was. `onChange` runs once it was turned on or off.
 */
export function twoStepSection(api: Api, signal: AbortSignal, onChange?: () => void): HTMLElement {
  const headingId = "two-step-heading";
  const heading = h("h2", { id: headingId, tabindex: -1 }, "Two-step verification");
  const status = h("div", { class: "status-slot" });
  const region = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Checking two-step verification…"));
  /** The signed-in address, for the recovery codes file. */
  let account: string | null = null;
  /** Whether the server said it is off (until it says, "off" only means "Set up" is offered). */
  let knownOff = false;

  const say = (kind: "info" | "success", text: string) => status.replaceChildren(message(kind, text));
  const explain = (error: unknown) => {
    // A cancelled "Confirm it's you": nothing happened, nothing to say.
    if (!isCancellation(error)) status.replaceChildren(failure(error));
  };
  const show = (...content: (Node | null)[]) => {
    region.replaceChildren(...content.filter((node): node is Node => node !== null));
    region.setAttribute("aria-busy", "false");
  };

  const load = (): Promise<unknown> => {
    region.setAttribute("aria-busy", "true");
    return api.currentUser().then(
      (user) => {
        if (signal.aborted) return;
        account = typeof user?.email === "string" ? user.email : null;
        // Until the server says (`mfa.totp`), "Set up" is offered and a 409 tells it is on.
        knownOff = totpStatus(user) === false;
        if (totpStatus(user) === true) showOn();
        else showOff();
      },
      (error) => {
        if (signal.aborted) return;
        show(failure(error, load));
      },
    );
  };

  function showOff() {
    const setUp = h("button", { type: "button", class: "button button-primary" }, setUpLabel);
    setUp.addEventListener("click", () => start(setUp));
    show(knownOff ? h("p", { class: "two-step-state" }, "Two-step verification is off.") : null, h("div", { class: "actions" }, setUp));
  }

  async function start(button: HTMLButtonElement) {
    setButtonBusy(button, "Setting up…", setUpLabel);
    status.replaceChildren();
    try {
      // The QR encoder is a chunk of its own, fetched meanwhile: only an enrolment needs it.
      const [enrolment, qr] = await Promise.all([api.startTotp(), import("../qr").catch(() => null)]);
      if (signal.aborted) return;
      showEnrolment(enrolment, qr);
    } catch (error) {
      if (signal.aborted) return;
      setButtonBusy(button, null, setUpLabel);
      if (error instanceof ApiError && error.code === "mfa_already_enabled") {
        showOn();
        say("info", "Two-step verification is already on.");
        heading.focus();
        return;
      }
      explain(error);
    }
  }

  function showEnrolment({ secret, otpauthUri }: TotpEnrolment, qr: typeof import("../qr") | null) {
    let picture: Node;
    try {
      if (!qr) throw new Error("The QR code encoder could not be loaded");
      picture = h("div", { class: "qr-frame" }, qr.qrSvg(qr.encodeQr(otpauthUri), qrCodeLabel));
    } catch {
      picture = h("p", { class: "muted" }, "The QR code can't be shown. Enter the key below in your app instead.");
    }
    const key = groupInFours(secret);
    const copyStatus = h("span", { class: "copy-status", role: "status" });
    const copyKey = h("button", { type: "button", class: "button button-secondary button-small" }, "Copy key");
    copyKey.addEventListener("click", () => copy(key.replace(/ /g, ""), copyStatus, "Key copied."));

    const form = createForm({
      fields: [
        {
          name: "code",
          label: "6-digit code",
          autocomplete: "one-time-code",
          required: true,
          requiredMessage: "Enter the 6-digit code from your authenticator app.",
          hint: "The code your app shows for Gatehouse. It changes every 30 seconds.",
          maxLength: 9,
        },
      ],
      submitLabel: "Turn on",
      busyLabel: "Turning on…",
      secondary: cancelButton(),
      validate: (form) =>
        form.value("code") && !authenticatorCode(form.value("code"))
          ? [{ field: "code", code: "invalid_format", message: "Enter the 6 digits your authenticator app shows." }]
          : [],
      async onSubmit(form) {
        let recoveryCodes: string[];
        try {
          ({ recoveryCodes } = await api.confirmTotp(authenticatorCode(form.value("code")) ?? ""));
        } catch (error) {
          if (!(error instanceof ApiError && error.code === "invalid_code")) throw error;
          form.showErrors([{ field: "code", code: "invalid_code", message: "That code is not right. Enter the code your app shows now." }]);
          form.input("code").select();
          return;
        }
        if (signal.aborted) return;
        knownOff = false;
        onChange?.();
        showRecoveryCodes(recoveryCodes, "Two-step verification is on. From now on you'll enter a code from your app after your password.");
      },
    });
    form.input("code").setAttribute("inputmode", "numeric");

    const scanHeading = h("h3", { tabindex: -1 }, "1. Scan the QR code");
    show(
      h(
        "div",
        { class: "two-step-step" },
        scanHeading,
        h("p", null, "Open your authenticator app (for example Google Authenticator, Microsoft Authenticator, 1Password or Aegis), add an account and scan this code."),
        picture,
        h("p", { class: "muted" }, "Can't scan it? Enter this key in the app instead:"),
        h("p", { class: "totp-key" }, h("code", null, key), " ", copyKey, " ", copyStatus),
      ),
      h(
        "div",
        { class: "two-step-step" },
        h("h3", null, "2. Enter the code from the app"),
        form.element,
      ),
    );
    scanHeading.focus();
  }

  function cancelButton(): HTMLButtonElement {
    const cancel = h("button", { type: "button", class: "button button-secondary" }, "Cancel");
    // The secret stays unconfirmed on the server, where it does nothing; "Set up" makes a new one.
    cancel.addEventListener("click", () => {
      status.replaceChildren();
      showOff();
      heading.focus();
    });
    return cancel;
  }

  function showRecoveryCodes(codes: string[], intro: string) {
    const title = h("h3", { tabindex: -1 }, "Save these recovery codes");
    const copyStatus = h("span", { class: "copy-status", role: "status" });
    const downloadButton = h("button", { type: "button", class: "button button-secondary" }, "Download");
    downloadButton.addEventListener("click", () => saveFile("gatehouse-recovery-codes.txt", recoveryCodesFile(codes, account)));
    const copyButton = h("button", { type: "button", class: "button button-secondary" }, "Copy");
    copyButton.addEventListener("click", () => copy(codes.join("\n"), copyStatus, "Recovery codes copied."));
    const done = h("button", { type: "button", class: "button button-primary" }, "I have saved them");
    done.addEventListener("click", () => {
      status.replaceChildren();
      showOn();
      heading.focus();
    });
    status.replaceChildren(message("success", intro));
    show(
      h(
        "div",
        { class: "recovery-codes-panel" },
        title,
        h(
          "p",
          null,
          "Save these recovery codes somewhere safe, such as your password manager. If you can't use your authenticator app, each code lets you log in once instead. They are shown only now.",
        ),
        h("ul", { class: "recovery-codes", "aria-label": "Recovery codes" }, codes.map((code) => h("li", null, h("code", null, code)))),
        h("div", { class: "actions" }, downloadButton, copyButton, done, copyStatus),
      ),
    );
    title.focus();
  }

  function showOn() {
    const renew = h("button", { type: "button", class: "button button-secondary" }, "New recovery codes");
    renew.addEventListener("click", () => newCodes(renew));
    const turnOff = h("button", { type: "button", class: "button button-danger-quiet" }, "Turn off");
    const confirmSlot = h("div");
    turnOff.addEventListener("click", () => {
      status.replaceChildren();
      turnOff.disabled = true;
      confirmSlot.replaceChildren(confirmTurnOff(() => {
        confirmSlot.replaceChildren();
        turnOff.disabled = false;
        turnOff.focus();
      }));
    });
    show(
      h("p", { class: "two-step-state" }, "Two-step verification is on."),
      h("p", { class: "muted" }, "When you log in, you enter a code from your authenticator app after your password, or one of your recovery codes."),
      h("div", { class: "actions" }, renew, turnOff),
      confirmSlot,
    );
  }

  function confirmTurnOff(keep: () => void): HTMLElement {
    const confirmLabel = "Turn off two-step verification";
    const yes = h("button", { type: "button", class: "button button-danger" }, confirmLabel);
    const no = h("button", { type: "button", class: "button button-secondary" }, "Keep it on");
    no.addEventListener("click", keep);
    yes.addEventListener("click", async () => {
      setButtonBusy(yes, "Turning off…", confirmLabel);
      no.disabled = true;
      try {
        await api.turnOffTotp();
        if (signal.aborted) return;
        onChange?.();
        knownOff = true;
        showOff();
        say("success", "Two-step verification is off. You'll log in with your password only.");
        heading.focus();
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status === 404) {
          knownOff = true;
          showOff();
          say("info", "Two-step verification was already off.");
          heading.focus();
          return;
        }
        setButtonBusy(yes, null, confirmLabel);
        no.disabled = false;
        explain(error);
      }
    });
    const box = h(
      "div",
      { class: "confirm", role: "group", "aria-label": "Turn off two-step verification?" },
      h("p", null, h("strong", null, "Turn off two-step verification?"), " You'll log in with your password only, and your recovery codes will stop working."),
      h("div", { class: "project-actions" }, yes, no),
    );
    queueMicrotask(() => yes.focus());
    return box;
  }

  async function newCodes(button: HTMLButtonElement) {
    const label = "New recovery codes";
    setButtonBusy(button, "Creating codes…", label);
    status.replaceChildren();
    try {
      const { recoveryCodes } = await api.newRecoveryCodes();
      if (signal.aborted) return;
      showRecoveryCodes(recoveryCodes, "Here are your new recovery codes. The old ones no longer work.");
    } catch (error) {
      if (signal.aborted) return;
      setButtonBusy(button, null, label);
      if (error instanceof ApiError && error.status === 404) {
        knownOff = true;
        showOff();
        say("info", "Two-step verification is off, so there are no recovery codes to replace.");
        heading.focus();
        return;
      }
      explain(error);
    }
  }

  load();

  return h(
    "section",
    { class: "panel", "aria-labelledby": headingId },
    heading,
    h("p", { class: "muted" }, "Ask for a code from an authenticator app on your phone after your password, so a stolen password alone can't open your account."),
    status,
    region,
  );
}

/** Copies text, saying so in `slot` (the button stays where it is). */
async function copy(text: string, slot: HTMLElement, done: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    slot.textContent = done;
  } catch {
    slot.textContent = "Couldn't copy. Select the text and copy it instead.";
  }
}
