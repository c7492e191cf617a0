import type { LoginAnswer, SecondFactorChallenge, SecondFactorProof } from "../api/endpoints";
import { ApiError } from "../api/problem";
import { append, h, link, message, pageHeading, setButtonBusy, type Child } from "../dom";
import { authenticatorCode } from "../format";
import { createForm, type FieldSpec } from "../forms";
import { describePasskeyProblem, passkeyCeremonyFailedText, passkeySecondStepUnsupportedText, signInExpiredText, wrongCodeText, type PasskeyStep } from "../messages";
import { href, safeNext } from "../routes";
import { afterRefusedCode, needsSecondFactor } from "../session";
import type { Notice } from "../state";
import { getPasskey, isCeremonyCancelled, passkeysSupported, type PasskeyScope } from "../webauthn";
import type { View } from "./context";
import { providerButtons } from "./providers";

/**
 * Log in: email and password, then, for an account with two-step verification, a code from the
 * authenticator app, a recovery code or its passkey, in place; or at once with a passkey
 * (discoverable credentials: no address typed). The sign-in's `mfaToken` lives in this view's
 * memory only; a wrong code can be retried, an expired sign-in (or too many wrong codes) goes
 * back to the password. Closing the browser's passkey prompt is not an error.
 */
export const loginView: View = ({ api, store, query, session, signal }) => {
  const notice = store.getState().notice;
  if (notice) store.setState({ notice: null });
  const next = safeNext(query.get("next"));
  const root = h("div");
  const passkeys = passkeysSupported(window as unknown as PasskeyScope);
  const providers = providerButtons(api, signal, { divider: !passkeys });
  let email = "";

  const signedIn = (answer: LoginAnswer) => session.signedIn(answer, next);
  const show = (...content: Child[]) => {
    root.replaceChildren();
    append(root, content);
  };

  /**
   * A button that signs in with a passkey: the server's challenge (bound to this browser), the
   * browser's prompt, then `finish` with the answer. `mfaToken`, when given, makes it the second
   * step after a password. Problems are said in `slot`; `invalid_code` (the sign-in expired)
   * goes to `expired`.
   */
  function passkeyButton(
    label: string,
    className: string,
    slot: HTMLElement,
    step: PasskeyStep,
    mfaToken: () => string | null,
    finish: (answer: LoginAnswer) => void,
    expired?: () => void,
  ): HTMLButtonElement {
    const button = h("button", { type: "button", class: className }, label);
    button.addEventListener("click", async () => {
      const token = mfaToken();
      if (step === "second-step" && !token) return expired?.();
      setButtonBusy(button, "Waiting for your passkey…", label);
      slot.replaceChildren();
      let answer: LoginAnswer;
      try {
        const options = await api.passkeyLoginOptions();
        if (signal.aborted) return;
        const credential = await getPasskey(navigator.credentials, options, signal);
        if (signal.aborted) return;
        answer = await api.loginWithPasskey(credential, token ?? undefined);
      } catch (error) {
        if (signal.aborted) return;
        setButtonBusy(button, null, label);
        // The person closed the browser's prompt, or it timed out: back to the page, quietly.
        if (isCeremonyCancelled(error)) return;
        if (error instanceof ApiError && error.code === "invalid_code" && expired) return expired();
        if (!(error instanceof ApiError)) console.error(error);
        slot.replaceChildren(message("error", error instanceof ApiError ? describePasskeyProblem(error.problem, step) : passkeyCeremonyFailedText));
        return;
      }
      if (!signal.aborted) finish(answer);
    });
    return button;
  }

  function passwordStep(shown: Notice | null, focus: boolean) {
    const form = createForm({
      fields: [
        { name: "email", label: "Email address", type: "email", autocomplete: "username", required: true, requiredMessage: "Enter your email address.", value: email || undefined },
        { name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true, requiredMessage: "Enter your password." },
      ],
      submitLabel: "Log in",
      busyLabel: "Logging in…",
      problems: {
        invalid_credentials: "The email address or password is incorrect.",
        email_not_verified: () => [
          "Please confirm your email address first: open the link we sent you when you registered. ",
          link(href("resendVerification"), "Send a new confirmation link"),
          ".",
        ],
      },
      async onSubmit(form) {
        const answer = await api.login(form.value("email"), form.value("password"));
        if (signal.aborted) return;
        if (!needsSecondFactor(answer)) return signedIn(answer);
        email = form.value("email");
        secondStep(answer);
      },
    });
    form.element.querySelector(".form-actions")?.append(link(href("forgotPassword"), "Forgot your password?", "form-aside"));
    const passkeySlot = h("div", { class: "status-slot" });
    const alternatives = passkeys
      ? h(
          "div",
          { class: "providers" },
          h("p", { class: "divider" }, h("span", null, "or")),
          passkeySlot,
          passkeyButton("Sign in with a passkey", "button button-secondary button-block", passkeySlot, "sign-in", () => null, signedIn),
          providers,
        )
      : providers;

    show(
      pageHeading("Log in"),
      h("p", { class: "lede" }, "Welcome back. Log in to manage your projects."),
      shown ? message(shown.kind, shown.text) : null,
      form.element,
      alternatives,
      h(
        "div",
        { class: "card-links" },
        h("p", null, "New to Gatehouse? ", link(href("register"), "Create an account")),
        h("p", null, "Didn't get the confirmation email? ", link(href("resendVerification"), "Send it again")),
      ),
    );
    if (focus) form.input(email ? "password" : "email").focus();
  }

  function secondStep(challenge: SecondFactorChallenge) {
    // Memory only: forgotten once used, refused, or left.
    let mfaToken: string | null = challenge.mfaToken;
    let wrongCodes = 0;
    const methods = Array.isArray(challenge.methods) ? challenge.methods : [];
    const passkeyAsked = methods.includes("passkey");
    const recoveryOffered = methods.includes("recovery_code");
    // An answer naming no method we know still gets the code form: it was the only second step once.
    const appOffered = methods.includes("totp") || (!recoveryOffered && !passkeyAsked);
    const codesOffered = appOffered || recoveryOffered;
    let method: "app" | "recovery" = appOffered ? "app" : "recovery";

    const formSlot = h("div");
    const toggle = h("button", { type: "button", class: "link-button" });
    toggle.addEventListener("click", () => {
      method = method === "app" ? "recovery" : "app";
      showForm();
    });
    const back = h("button", { type: "button", class: "link-button" }, "Back to log in");
    back.addEventListener("click", () => {
      mfaToken = null;
      passwordStep(null, true);
    });

    const startAgain = () => {
      mfaToken = null;
      passwordStep({ kind: "error", text: signInExpiredText }, true);
    };

    function showForm() {
      const app = method === "app";
      const field: FieldSpec = app
        ? {
            name: "code",
            label: "Authentication code",
            hint: "Enter the 6-digit code from your authenticator app.",
            autocomplete: "one-time-code",
            required: true,
            requiredMessage: "Enter the 6-digit code from your authenticator app.",
            maxLength: 9,
          }
        : {
            name: "code",
            label: "Recovery code",
            hint: "Enter one of the recovery codes you saved when you turned on two-step verification. Each one works once.",
            autocomplete: "off",
            required: true,
            requiredMessage: "Enter one of your recovery codes.",
            maxLength: 64,
          };
      const form = createForm({
        fields: [field],
        submitLabel: "Verify",
        busyLabel: "Verifying…",
        validate: (form) =>
          app && form.value("code") && !authenticatorCode(form.value("code"))
            ? [{ field: "code", code: "invalid_format", message: "Enter the 6 digits your authenticator app shows." }]
            : [],
        async onSubmit(form) {
          if (!mfaToken) return startAgain();
          const proof: SecondFactorProof = app ? { code: authenticatorCode(form.value("code")) ?? "" } : { recoveryCode: form.value("code") };
          let answer: LoginAnswer;
          try {
            answer = await api.loginSecondFactor(mfaToken, proof);
          } catch (error) {
            if (!(error instanceof ApiError) || signal.aborted) throw error;
            if (error.code === "invalid_code") wrongCodes += 1;
            const outcome = afterRefusedCode(error.problem, wrongCodes);
            if (outcome === null) throw error; // rate_limited, network, …: explained by the form
            if (outcome === "start-again") return startAgain();
            form.alert("error", wrongCodeText);
            const input = form.input("code");
            input.focus();
            input.select();
            return;
          }
          mfaToken = null;
          if (!signal.aborted) signedIn(answer);
        },
      });
      const input = form.input("code");
      if (app) input.setAttribute("inputmode", "numeric");
      else {
        input.setAttribute("autocapitalize", "none");
        input.setAttribute("spellcheck", "false");
      }
      toggle.textContent = app ? "Use a recovery code instead" : "Use your authenticator app instead";
      formSlot.replaceChildren(form.element);
      input.focus();
    }

    const passkeySlot = h("div", { class: "status-slot" });
    const finish = (answer: LoginAnswer) => {
      mfaToken = null;
      signedIn(answer);
    };
    const usePasskey = passkeyAsked && passkeys
      ? passkeyButton("Use your passkey", `button ${codesOffered ? "button-secondary" : "button-primary"} button-block`, passkeySlot, "second-step", () => mfaToken, finish, startAgain)
      : null;
    let passkeyPart: Child = null;
    if (usePasskey) {
      passkeyPart = codesOffered
        ? h("div", { class: "providers" }, h("p", { class: "divider" }, h("span", null, "or")), passkeySlot, usePasskey)
        : h("div", { class: "providers" }, h("p", null, "Confirm it's you with the passkey you added to your account."), passkeySlot, usePasskey);
    } else if (passkeyAsked && !codesOffered) {
      passkeyPart = message("error", passkeySecondStepUnsupportedText);
    }

    show(
      pageHeading("Two-step verification"),
      h("p", { class: "lede" }, "Your account is protected with two-step verification."),
      codesOffered ? formSlot : null,
      passkeyPart,
      h("div", { class: "card-links" }, recoveryOffered && appOffered ? h("p", null, toggle) : null, h("p", null, back)),
    );
    if (codesOffered) showForm();
    else (usePasskey ?? back).focus();
  }

  passwordStep(notice, false);
  return root;
};
