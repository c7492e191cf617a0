import type { SessionInfo } from "../api/endpoints";
import { ApiError } from "../api/problem";
import { h, message, pageHeading, setButtonBusy } from "../dom";
import { createForm, newPasswordFields, newPasswordMismatch } from "../forms";
import { formatDateTime, timeAgo } from "../format";
import { href } from "../routes";
import { displayName } from "../state";
import { describeUserAgent } from "../ua";
import type { View } from "./context";
import { changeEmailSection } from "./change-email";
import { dataExportSection } from "./data-export";
import { deleteAccountSection } from "./delete-account";
import { failure } from "./failure";
import { passkeysSection } from "./passkeys";
import { securityActivitySection } from "./security-activity";
import { signInMethodsSection } from "./sign-in-methods";
import { twoStepSection } from "./two-step-verification";

/** Account: who you are, where you are signed in, how you sign in, your password and address, what happened to the account, and its data (export, deletion). */
export const accountView: View = ({ api, store, signal, session, navigate }) => {
  const user = store.getState().user;
  const sessionsRegion = h("div", { "aria-busy": "true" }, h("p", { class: "loading" }, "Loading your devices…"));
  const sessionsStatus = h("div", { class: "status-slot" });
  const sessionsHeading = h("h2", { id: "sessions-heading", tabindex: -1 }, "Signed-in devices");
  // Created first so the actions below can refresh it: each of them records a security event.
  const activity = securityActivitySection(api, signal);

  const loadSessions = () => {
    sessionsRegion.setAttribute("aria-busy", "true");
    return api.sessions().then(
      (sessions) => !signal.aborted && renderSessions(sessions),
      (error) => !signal.aborted && sessionsRegion.replaceChildren(failure(error, loadSessions)),
    ).finally(() => sessionsRegion.setAttribute("aria-busy", "false"));
  };

  const renderSessions = (sessions: SessionInfo[]) => {
    const sorted = [...sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt));
    const others = sorted.filter((session) => !session.current).length;
    const items = sorted.map((session) => {
      const device = describeUserAgent(session.userAgent);
      const end = session.current
        ? null
        : h("button", { type: "button", class: "button button-secondary button-small", "aria-label": `End session on ${device}` }, "End");
      end?.addEventListener("click", async () => {
        setButtonBusy(end, "Ending…", "End");
        try {
          await api.endSession(session.id);
          activity.refresh();
          sessionsStatus.replaceChildren(message("success", `Ended the session on ${device}.`));
          await loadSessions();
          sessionsHeading.focus();
        } catch (error) {
          setButtonBusy(end, null, "End");
          sessionsStatus.replaceChildren(failure(error));
        }
      });
      return h(
        "li",
        { class: `session${session.current ? " session-current" : ""}` },
        h(
          "div",
          { class: "session-text" },
          h("p", { class: "session-device" }, device, session.current ? h("span", { class: "badge" }, "This device") : null),
          h(
            "p",
            { class: "session-meta" },
            session.ipAddress ? `IP ${session.ipAddress} · ` : "",
            "Signed in ",
            h("time", { datetime: session.createdAt }, formatDateTime(session.createdAt)),
            " · Last active ",
            h("time", { datetime: session.lastUsedAt, title: formatDateTime(session.lastUsedAt) }, timeAgo(session.lastUsedAt)),
          ),
        ),
        end,
      );
    });
    const endOthers = h("button", { type: "button", class: "button button-secondary" }, "End all other sessions");
    endOthers.disabled = others === 0;
    endOthers.addEventListener("click", async () => {
      setButtonBusy(endOthers, "Ending sessions…", "End all other sessions");
      try {
        const { revoked } = await api.endOtherSessions();
        activity.refresh();
        sessionsStatus.replaceChildren(
          message("success", revoked === 1 ? "Ended 1 other session." : `Ended ${revoked ?? "all"} other sessions.`),
        );
        await loadSessions();
        sessionsHeading.focus();
      } catch (error) {
        setButtonBusy(endOthers, null, "End all other sessions");
        sessionsStatus.replaceChildren(failure(error));
      }
    });
    sessionsRegion.replaceChildren(
      h("ul", { class: "session-list", "aria-labelledby": "sessions-heading" }, items),
      h(
        "div",
        { class: "section-actions" },
        endOthers,
        others === 0 ? h("p", { class: "muted" }, "You're not signed in anywhere else.") : null,
      ),
    );
  };

  const password = createForm({
    fields: [
      { name: "currentPassword", label: "Current password", type: "password", autocomplete: "current-password", required: true, requiredMessage: "Enter your current password." },
      ...newPasswordFields,
    ],
    submitLabel: "Change password",
    busyLabel: "Changing password…",
    // Lets password managers know whose password this is.
    beforeSubmit: user ? h("input", { type: "email", name: "username", autocomplete: "username", value: user.email, hidden: true, readonly: true, tabindex: -1 }) : null,
    validate: (form) => {
      const errors = newPasswordMismatch(form);
      if (form.value("newPassword") && form.value("newPassword") === form.value("currentPassword"))
        errors.push({ field: "newPassword", code: "unchanged", message: "Choose a password different from the current one." });
      return errors;
    },
    async onSubmit(form) {
      try {
        await api.changePassword(form.value("currentPassword"), form.value("newPassword"));
      } catch (error) {
        if (error instanceof ApiError && error.code === "invalid_credentials") {
          form.showErrors([{ field: "currentPassword", code: "invalid_credentials", message: "Your current password is incorrect." }]);
          return;
        }
        throw error;
      }
      form.reset();
      form.alert("success", "Your password has been changed. Your other devices have been signed out.");
      loadSessions();
      activity.refresh();
    },
  });

  const accountDeleted = () => {
    session.forget({ kind: "success", text: "Your account has been deleted." });
    navigate(href("login"), { replace: true });
  };

  loadSessions();

  return h(
    "div",
    { class: "page" },
    pageHeading("Account"),
    h("p", { class: "lede" }, "Your details, where you're signed in, how you sign in, your password and address, recent security activity, and your data."),
    h(
      "div",
      { class: "stack" },
      user
        ? h(
            "section",
            { class: "panel", "aria-labelledby": "details-heading" },
            h("h2", { id: "details-heading" }, "Your details"),
            h(
              "dl",
              { class: "facts" },
              h("div", null, h("dt", null, "Name"), h("dd", null, displayName(user))),
              h("div", null, h("dt", null, "Email"), h("dd", null, user.email, user.emailVerified ? h("span", { class: "badge badge-quiet" }, "Verified") : null)),
            ),
          )
        : null,
      h(
        "section",
        { class: "panel", "aria-labelledby": "sessions-heading" },
        sessionsHeading,
        h("p", { class: "muted" }, "These devices and browsers are signed in to your account. End any you don't recognise."),
        sessionsStatus,
        sessionsRegion,
      ),
      signInMethodsSection(api, signal, activity.refresh),
      passkeysSection(api, signal, activity.refresh),
      twoStepSection(api, signal, activity.refresh),
      h(
        "section",
        { class: "panel", "aria-labelledby": "password-heading" },
        h("h2", { id: "password-heading" }, "Change password"),
        h("p", { class: "muted" }, "Changing your password signs you out everywhere except on this device."),
        password.element,
      ),
      user ? changeEmailSection(api, user.email, activity.refresh) : null,
      activity.element,
      dataExportSection(api, signal),
      user ? deleteAccountSection(api, user.email, accountDeleted) : null,
    ),
  );
};
