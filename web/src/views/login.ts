import type { LoginAnswer, SecondFactorChallenge, SecondFactorProof } from "../api/endpoints";
import { ApiError } from "../api/problem";
import { append, h, link, message, pageHeading, type Child } from "../dom";
import { authenticatorCode } from "../format";
import { createForm, type FieldSpec } from "../forms";
import { signInExpiredText, wrongCodeText } from "../messages";
import { href, safeNext } from "../routes";
import { afterRefusedCode, needsSecondFactor } from "../session";
import type { Notice } from "../state";
import type { View } from "./context";
import { providerButtons } from "./providers";

/**
 * Log in: email and password, then, for an account with two-step verification, a code from the
 * authenticator app or a recovery code, in place. The sign-in's `mfaToken` lives in this view's
 * memory only; a wrong code can be retried, an expired sign-in (or too many wrong codes) goes
 * back to the password.
 */
export const loginView: View = ({ api, store, query, session, signal }) => {
  const notice = store.getState().notice;
  if (notice) store.setState({ notice: null });
  const next = safeNext(query.get("next"));
  const root = h("div");
  const providers = providerButtons(api, signal);
  let email = "";

  const signedIn = (answer: LoginAnswer) => session.signedIn(answer, next);
  const show = (...content: Child[]) => {
    root.replaceChildren();
    append(root, content);
  };

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

    show(
      pageHeading("Log in"),
      h("p", { class: "lede" }, "Welcome back. Log in to manage your projects."),
      shown ? message(shown.kind, shown.text) : null,
      form.element,
      providers,
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
    const recoveryOffered = methods.includes("recovery_code");
    const appOffered = methods.includes("totp") || !recoveryOffered;
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

    show(
      pageHeading("Two-step verification"),
      h("p", { class: "lede" }, "Your account is protected with two-step verification."),
      formSlot,
      h("div", { class: "card-links" }, recoveryOffered && appOffered ? h("p", null, toggle) : null, h("p", null, back)),
    );
    showForm();
  }

  passwordStep(notice, false);
  return root;
};
